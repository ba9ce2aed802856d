import CTokenStoreSQLite
import Foundation
import TokenStoreKit

/// The one mapping between the token models and the SQLite tables: the column lists the
/// statements of ``SQLiteStatementID`` use, how a model's fields are bound to them, how a
/// row is read back into a model, and the metadata JSON. Adding a field to a token touches
/// this file and the schema's migration, nothing else in the driver.
enum SQLiteRecordCodec {
    /// Columns of a request-token row, in the order ``SQLiteConnection/requestToken(_:)``
    /// reads them and ``SQLiteConnection/bindRequestToken(_:_:)`` binds them.
    static let requestColumns =
        "token, provider, secret, callback_url, return_to, session_binding, metadata, created_at, expires_at"

    /// Columns of an access-token row, in the order ``SQLiteConnection/accessToken(_:)``
    /// reads them and ``SQLiteConnection/bindAccessToken(_:_:)`` binds them.
    static let accessColumns =
        "provider, user_id, token, secret, screen_name, access_type, created_at, updated_at, metadata"

    /// What an access-token upsert rewrites in an existing row: every column but the key
    /// and `created_at`.
    static let accessUpdates =
        "token = excluded.token, secret = excluded.secret, screen_name = excluded.screen_name, "
            + "access_type = excluded.access_type, updated_at = excluded.updated_at, metadata = excluded.metadata"

    /// Columns of a token-set row, in the order ``SQLiteConnection/tokenSet(_:)`` reads them
    /// and ``SQLiteConnection/bindTokenSet(_:_:)`` binds them (?1...?13; `version`, the
    /// 14th, is assigned by the statements). Texts first, so they bind as one run.
    static let tokenSetColumns =
        "provider, user_id, access_token, token_type, refresh_token, scope, id_token, screen_name, metadata, "
            + "expires_at, created_at, updated_at, invalidated_at, version"

    /// What a token-set upsert rewrites in an existing row: every column but the key,
    /// `created_at`, the version (the statement counts it up) and the lease (a save leaves
    /// it alone).
    static let tokenSetUpdates =
        "access_token = excluded.access_token, token_type = excluded.token_type, "
            + "refresh_token = excluded.refresh_token, scope = excluded.scope, id_token = excluded.id_token, "
            + "screen_name = excluded.screen_name, metadata = excluded.metadata, expires_at = excluded.expires_at, "
            + "updated_at = excluded.updated_at, invalidated_at = excluded.invalidated_at"

    /// What a compare-and-set writes from the bound token set (?3...?13 of
    /// ``SQLiteConnection/bindTokenSet(_:_:)``): the same columns as ``tokenSetUpdates``;
    /// ?11 (`created_at`) is bound but unused, the stored one is kept.
    static let tokenSetAssignments =
        "access_token = ?3, token_type = ?4, refresh_token = ?5, scope = ?6, id_token = ?7, screen_name = ?8, "
            + "metadata = ?9, expires_at = ?10, updated_at = ?12, invalidated_at = ?13"

    /// A metadata column's text: a JSON object of strings with sorted keys (``MetadataJSON``:
    /// stable bytes for the same dictionary, readable by SQLite's JSON functions), or NULL
    /// for an empty dictionary so the common case costs nothing.
    static func encodeMetadata(_ metadata: [String: String]) -> String? {
        metadata.isEmpty ? nil : MetadataJSON.encode(metadata)
    }

    /// Decodes a metadata column; `nil` text is an empty dictionary.
    static func decodeMetadata(_ text: String?, column: StaticString) throws(SQLiteColumnError) -> [String: String] {
        guard let text, !text.isEmpty else { return [:] }
        guard let metadata = MetadataJSON.decode(text) else {
            throw SQLiteColumnError(problem: "\(column) is not a JSON object of strings")
        }
        return metadata
    }
}

/// Binding tokens to and reading them from the statements of ``SQLiteStatementID``: methods
/// of the connection, so the hot paths bind straight into its prepared statements and its
/// scratch buffer.
extension SQLiteConnection {
    /// Binds `token` to ?1...?9 of `saveRequestToken` (column order of
    /// ``SQLiteRecordCodec/requestColumns``).
    func bindRequestToken(_ statement: OpaquePointer, _ token: RequestToken) throws {
        try bind(statement, 1, token.token)
        try bind(statement, 2, token.provider)
        try bind(statement, 3, token.secret)
        try bind(statement, 4, token.context.callbackURL)
        try bind(statement, 5, token.context.returnTo)
        try bind(statement, 6, token.context.sessionBinding)
        try bind(statement, 7, SQLiteRecordCodec.encodeMetadata(token.context.metadata))
        bind(statement, 8, TokenTimestamp.milliseconds(token.createdAt))
        bind(statement, 9, TokenTimestamp.milliseconds(token.expiresAt))
    }

    /// Binds `token` to ?1...?9 of the access-token upserts.
    func bindAccessToken(_ statement: OpaquePointer, _ token: AccessToken) throws {
        try Self.forEachText(of: token) { index, text throws(SQLiteError) in try bind(statement, index, text) }
        try bindAccessTokenRest(statement, token)
    }

    /// Binds `token` like ``bindAccessToken(_:_:)``, its texts borrowed from the
    /// connection's scratch buffer (see ``reserveScratch(byteCount:)``): for a single
    /// statement that is stepped and finished before anything else is bound.
    func bindAccessTokenBorrowed(_ statement: OpaquePointer, _ token: AccessToken) throws {
        var byteCount = 0
        Self.forEachText(of: token) { _, text in byteCount += text?.utf8.count ?? 0 }
        reserveScratch(byteCount: byteCount)
        try Self.forEachText(of: token) { index, text throws(SQLiteError) in try bindScratchText(statement, index, text) }
        try bindAccessTokenRest(statement, token)
    }

    /// Calls `body` with each text of `token` and its parameter index, ?1...?6 of the
    /// access-token upserts.
    private static func forEachText<Failure: Error>(
        of token: AccessToken, _ body: (Int32, String?) throws(Failure) -> Void
    ) throws(Failure) {
        try body(1, token.provider)
        try body(2, token.userID)
        try body(3, token.token)
        try body(4, token.secret)
        try body(5, token.screenName)
        try body(6, token.accessType)
    }

    /// ?7...?9 of the access-token upserts.
    private func bindAccessTokenRest(_ statement: OpaquePointer, _ token: AccessToken) throws {
        bind(statement, 7, TokenTimestamp.milliseconds(token.createdAt))
        bind(statement, 8, TokenTimestamp.milliseconds(token.updatedAt))
        try bind(statement, 9, SQLiteRecordCodec.encodeMetadata(token.metadata))
    }

    /// Binds `tokenSet` to ?1...?13 of the token-set upserts and the compare-and-set
    /// (column order of ``SQLiteRecordCodec/tokenSetColumns``).
    func bindTokenSet(_ statement: OpaquePointer, _ tokenSet: OAuth2TokenSet) throws {
        try Self.forEachText(of: tokenSet) { index, text throws(SQLiteError) in try bind(statement, index, text) }
        try bindTokenSetRest(statement, tokenSet)
    }

    /// Binds `tokenSet` like ``bindTokenSet(_:_:)``, its texts borrowed from the scratch
    /// buffer, as ``bindAccessTokenBorrowed(_:_:)`` does.
    func bindTokenSetBorrowed(_ statement: OpaquePointer, _ tokenSet: OAuth2TokenSet) throws {
        var byteCount = 0
        Self.forEachText(of: tokenSet) { _, text in byteCount += text?.utf8.count ?? 0 }
        reserveScratch(byteCount: byteCount)
        try Self.forEachText(of: tokenSet) { index, text throws(SQLiteError) in try bindScratchText(statement, index, text) }
        try bindTokenSetRest(statement, tokenSet)
    }

    /// Calls `body` with each text of `tokenSet` and its parameter index, ?1...?8.
    private static func forEachText<Failure: Error>(
        of tokenSet: OAuth2TokenSet, _ body: (Int32, String?) throws(Failure) -> Void
    ) throws(Failure) {
        try body(1, tokenSet.provider)
        try body(2, tokenSet.userID)
        try body(3, tokenSet.accessToken)
        try body(4, tokenSet.tokenType)
        try body(5, tokenSet.refreshToken)
        try body(6, tokenSet.scope)
        try body(7, tokenSet.idToken)
        try body(8, tokenSet.screenName)
    }

    /// ?9...?13 of the token-set statements.
    private func bindTokenSetRest(_ statement: OpaquePointer, _ tokenSet: OAuth2TokenSet) throws {
        try bind(statement, 9, SQLiteRecordCodec.encodeMetadata(tokenSet.metadata))
        bind(statement, 10, tokenSet.expiresAt.map(TokenTimestamp.milliseconds))
        bind(statement, 11, TokenTimestamp.milliseconds(tokenSet.createdAt))
        bind(statement, 12, TokenTimestamp.milliseconds(tokenSet.updatedAt))
        bind(statement, 13, tokenSet.invalidatedAt.map(TokenTimestamp.milliseconds))
    }

    /// Binds an optional integer, `nil` as NULL.
    private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Int64?) {
        guard let value else {
            sqlite3_bind_null(statement, index)
            return
        }
        bind(statement, index, value)
    }

    /// The request token in the current row.
    ///
    /// - Throws: ``SQLiteCorruptRow`` naming the token when a column is wrong.
    func requestToken(_ statement: OpaquePointer) throws(SQLiteCorruptRow) -> RequestToken {
        // The key first, so a corrupt row can be named.
        let key: String
        do {
            key = try requiredText(statement, 0, column: "token")
        } catch {
            throw SQLiteCorruptRow(record: "request_tokens row with an unreadable token", problem: error.problem)
        }
        do {
            let context = RequestTokenContext(
                callbackURL: try text(statement, 3, column: "callback_url"),
                returnTo: try text(statement, 4, column: "return_to"),
                sessionBinding: try text(statement, 5, column: "session_binding"),
                metadata: try SQLiteRecordCodec.decodeMetadata(try text(statement, 6, column: "metadata"), column: "metadata"))
            return RequestToken(
                provider: try requiredText(statement, 1, column: "provider"),
                token: key,
                secret: try requiredText(statement, 2, column: "secret"),
                context: context,
                createdAt: try timestamp(statement, 7, column: "created_at"),
                expiresAt: try timestamp(statement, 8, column: "expires_at"))
        } catch {
            throw SQLiteCorruptRow(record: "request token \(key)", problem: error.problem)
        }
    }

    /// The access token in the current row.
    ///
    /// - Throws: ``SQLiteCorruptRow`` naming the key when a column is wrong.
    func accessToken(_ statement: OpaquePointer) throws(SQLiteCorruptRow) -> AccessToken {
        let key: AccessTokenKey
        do {
            key = AccessTokenKey(
                provider: try requiredText(statement, 0, column: "provider"),
                userID: try requiredText(statement, 1, column: "user_id"))
        } catch {
            throw SQLiteCorruptRow(record: "access_tokens row with an unreadable key", problem: error.problem)
        }
        return try accessToken(statement, key: key)
    }

    /// The access token in the current row, whose key columns equal `key` (a point read:
    /// the key is not read back).
    func accessToken(_ statement: OpaquePointer, key: AccessTokenKey) throws(SQLiteCorruptRow) -> AccessToken {
        do {
            return AccessToken(
                provider: key.provider,
                userID: key.userID,
                token: try requiredText(statement, 2, column: "token"),
                secret: try requiredText(statement, 3, column: "secret"),
                screenName: try text(statement, 4, column: "screen_name"),
                accessType: try text(statement, 5, column: "access_type"),
                createdAt: try timestamp(statement, 6, column: "created_at"),
                updatedAt: try timestamp(statement, 7, column: "updated_at"),
                metadata: try SQLiteRecordCodec.decodeMetadata(try text(statement, 8, column: "metadata"), column: "metadata"))
        } catch {
            throw SQLiteCorruptRow(record: "access token \(key)", problem: error.problem)
        }
    }

    /// The token set in the current row.
    ///
    /// - Throws: ``SQLiteCorruptRow`` naming the key when a column is wrong.
    func tokenSet(_ statement: OpaquePointer) throws(SQLiteCorruptRow) -> OAuth2TokenSet {
        let key: AccessTokenKey
        do {
            key = AccessTokenKey(
                provider: try requiredText(statement, 0, column: "provider"),
                userID: try requiredText(statement, 1, column: "user_id"))
        } catch {
            throw SQLiteCorruptRow(record: "token_sets row with an unreadable key", problem: error.problem)
        }
        return try tokenSet(statement, key: key)
    }

    /// The token set in the current row, whose key columns equal `key` (a point read: the
    /// key is not read back).
    func tokenSet(_ statement: OpaquePointer, key: AccessTokenKey) throws(SQLiteCorruptRow) -> OAuth2TokenSet {
        do throws(SQLiteColumnError) {
            let version = try integer(statement, 13, column: "version")
            guard version >= 1 else { throw SQLiteColumnError(problem: "version \(version) is below 1") }
            return OAuth2TokenSet(
                provider: key.provider,
                userID: key.userID,
                accessToken: try requiredText(statement, 2, column: "access_token"),
                tokenType: try requiredText(statement, 3, column: "token_type"),
                expiresAt: try optionalTimestamp(statement, 9, column: "expires_at"),
                refreshToken: try text(statement, 4, column: "refresh_token"),
                scope: try text(statement, 5, column: "scope"),
                idToken: try text(statement, 6, column: "id_token"),
                screenName: try text(statement, 7, column: "screen_name"),
                metadata: try SQLiteRecordCodec.decodeMetadata(try text(statement, 8, column: "metadata"), column: "metadata"),
                createdAt: try timestamp(statement, 10, column: "created_at"),
                updatedAt: try timestamp(statement, 11, column: "updated_at"),
                invalidatedAt: try optionalTimestamp(statement, 12, column: "invalidated_at"),
                version: version)
        } catch {
            throw SQLiteCorruptRow(record: "token set \(key)", problem: error.problem)
        }
    }

    /// A nullable millisecond timestamp column as a date, `nil` for NULL.
    private func optionalTimestamp(
        _ statement: OpaquePointer, _ index: Int32, column: StaticString
    ) throws(SQLiteColumnError) -> Date? {
        guard tokenstore_sqlite3_column(statement, index).type != SQLITE_NULL else { return nil }
        return try timestamp(statement, index, column: column)
    }

    /// A millisecond timestamp column as a date.
    ///
    /// - Throws: ``SQLiteColumnError`` when it is not an integer or is outside
    ///   ``TokenTimestamp/range`` (written by something other than this driver).
    private func timestamp(_ statement: OpaquePointer, _ index: Int32, column: StaticString) throws(SQLiteColumnError) -> Date {
        let milliseconds = try integer(statement, index, column: column)
        guard let date = TokenTimestamp.date(storedMilliseconds: milliseconds) else {
            throw SQLiteColumnError(problem: TokenTimestamp.outOfRangeProblem(field: "\(column)", value: milliseconds))
        }
        return date
    }
}
