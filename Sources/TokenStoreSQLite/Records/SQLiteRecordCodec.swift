import Foundation
import TokenStoreKit

/// Binding tokens to and reading them from the statements of ``SQLiteStatementID``.
extension SQLiteConnection {
    /// Binds `token` to ?1...?9 of `saveRequestToken` (column order of
    /// ``SQLiteStatementID/requestColumns``).
    func bindRequestToken(_ statement: OpaquePointer, _ token: RequestToken) throws {
        try bind(statement, 1, token.token)
        try bind(statement, 2, token.provider)
        try bind(statement, 3, token.secret)
        try bind(statement, 4, token.context.callbackURL)
        try bind(statement, 5, token.context.returnTo)
        try bind(statement, 6, token.context.sessionBinding)
        try bind(statement, 7, SQLiteMetadataCoding.encode(token.context.metadata))
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
        try bind(statement, 9, SQLiteMetadataCoding.encode(token.metadata))
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
                metadata: try SQLiteMetadataCoding.decode(try text(statement, 6, column: "metadata"), column: "metadata"))
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
                metadata: try SQLiteMetadataCoding.decode(try text(statement, 8, column: "metadata"), column: "metadata"))
        } catch {
            throw SQLiteCorruptRow(record: "access token \(key)", problem: error.problem)
        }
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
