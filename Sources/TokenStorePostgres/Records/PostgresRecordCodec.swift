import Foundation
import TokenStoreKit

/// The one mapping between the token models and PostgreSQL: the token tables' columns in
/// the order every statement, result row, staging table and `COPY` row uses; a token as
/// statement parameters (text, which is also its `COPY` row through ``PostgresCopyText``);
/// a result row back to a token; metadata as JSON and dates as stored milliseconds.
///
/// Adding a field to a token means a column here (and in the migration); the statements
/// (``PostgresStatements``) and the result shapes (``PostgresResultShape``) are built from
/// these lists.
enum PostgresRecordCodec {
    /// A column of a token table, as the statements name and type it.
    struct Column: Sendable {
        /// The column's name in the table.
        let name: String
        /// What its result values hold (checked once per result, ``PostgresResultShape``).
        let kind: PostgresResultShape.Kind
        /// The short name of its column in the bulk writes' staging table.
        let staged: String
        /// Part of the table's key (the conflict target, the staged rows' match).
        var isKey = false
        /// Stored as `jsonb`, sent and read as text (`$n::jsonb`, `name::text`).
        var isJSON = false
        /// Whether an upsert of an existing key leaves it as it was (an access token's
        /// `created_at`: the first save's time).
        var keptOnUpdate = false
        /// The store's write counter (a token set's `version`): a new row takes the value
        /// sent (1); an update adds one to the stored value instead of writing the one
        /// sent (`versionIncrement(stored:)`), so callers never choose versions.
        var isVersion = false
    }

    /// `request_tokens`, in the order of ``parameters(_:)-(RequestToken)`` and ``requestToken(_:)``.
    static let requestColumns: [Column] = [
        Column(name: "token", kind: .text, staged: "t", isKey: true),
        Column(name: "provider", kind: .text, staged: "p"),
        Column(name: "secret", kind: .text, staged: "s"),
        Column(name: "callback_url", kind: .text, staged: "cb"),
        Column(name: "return_to", kind: .text, staged: "rt"),
        Column(name: "session_binding", kind: .text, staged: "sb"),
        Column(name: "metadata", kind: .text, staged: "m", isJSON: true),
        Column(name: "created_at", kind: .integer, staged: "c"),
        Column(name: "expires_at", kind: .integer, staged: "e"),
    ]

    /// `access_tokens`, in the order of ``parameters(_:)-(AccessToken)`` and ``accessToken(_:)``.
    static let accessColumns: [Column] = [
        Column(name: "provider", kind: .text, staged: "p", isKey: true),
        Column(name: "user_id", kind: .text, staged: "u", isKey: true),
        Column(name: "token", kind: .text, staged: "t"),
        Column(name: "secret", kind: .text, staged: "s"),
        Column(name: "screen_name", kind: .text, staged: "sn"),
        Column(name: "access_type", kind: .text, staged: "at"),
        Column(name: "metadata", kind: .text, staged: "m", isJSON: true),
        Column(name: "created_at", kind: .integer, staged: "c", keptOnUpdate: true),
        Column(name: "updated_at", kind: .integer, staged: "up"),
    ]

    /// `token_sets`, in the order of ``parameters(_:version:)`` and ``tokenSet(_:)``. The
    /// refresh lease's columns (`lease_owner`, `lease_expires_at`) are not a token set's
    /// fields: only the lease statements name them, so a save leaves a lease alone.
    static let tokenSetColumns: [Column] = [
        Column(name: "provider", kind: .text, staged: "p", isKey: true),
        Column(name: "user_id", kind: .text, staged: "u", isKey: true),
        Column(name: "access_token", kind: .text, staged: "a"),
        Column(name: "token_type", kind: .text, staged: "tt"),
        Column(name: "expires_at", kind: .integer, staged: "e"),
        Column(name: "refresh_token", kind: .text, staged: "r"),
        Column(name: "scope", kind: .text, staged: "sc"),
        Column(name: "id_token", kind: .text, staged: "i"),
        Column(name: "screen_name", kind: .text, staged: "sn"),
        Column(name: "metadata", kind: .text, staged: "m", isJSON: true),
        Column(name: "created_at", kind: .integer, staged: "c", keptOnUpdate: true),
        Column(name: "updated_at", kind: .integer, staged: "up"),
        Column(name: "invalidated_at", kind: .integer, staged: "iv"),
        Column(name: "version", kind: .integer, staged: "v", isVersion: true),
    ]

    // MARK: Tokens as parameters

    static func parameters(_ token: RequestToken) -> [String?] {
        [
            token.token, token.provider, token.secret, token.context.callbackURL, token.context.returnTo,
            token.context.sessionBinding, MetadataJSON.encode(token.context.metadata),
            timestamp(token.createdAt), timestamp(token.expiresAt),
        ]
    }

    static func parameters(_ token: AccessToken) -> [String?] {
        [
            token.provider, token.userID, token.token, token.secret, token.screenName, token.accessType,
            MetadataJSON.encode(token.metadata), timestamp(token.createdAt), timestamp(token.updatedAt),
        ]
    }

    /// A token set as a row of ``tokenSetColumns`` whose version is `version`: 1 for a
    /// save (a new row's version; an update adds one to the stored one instead), the
    /// expected version for a compare-and-set. The token set's own version is never
    /// written: the store assigns versions.
    static func parameters(_ tokenSet: OAuth2TokenSet, version: Int64 = 1) -> [String?] {
        [
            tokenSet.provider, tokenSet.userID, tokenSet.accessToken, tokenSet.tokenType, tokenSet.expiresAt.map(timestamp),
            tokenSet.refreshToken, tokenSet.scope, tokenSet.idToken, tokenSet.screenName, MetadataJSON.encode(tokenSet.metadata),
            timestamp(tokenSet.createdAt), timestamp(tokenSet.updatedAt), tokenSet.invalidatedAt.map(timestamp), String(version),
        ]
    }

    /// The parameters of a compare-and-set (``replacedTokenSetColumns``): the key, every
    /// field a replacement writes, and the version it expects.
    static func replacement(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) -> [String?] {
        zip(tokenSetColumns, parameters(tokenSet, version: expected)).filter { !$0.0.keptOnUpdate }.map(\.1)
    }

    /// The columns of ``replacement(_:ifVersion:)``, in its order.
    static let replacedTokenSetColumns = tokenSetColumns.filter { !$0.keptOnUpdate }

    /// The keys that identify a token's row, for telling repeated keys in a bulk write apart.
    static func key(_ token: RequestToken) -> [String] { [token.token] }
    static func key(_ token: AccessToken) -> [String] { [token.provider, token.userID] }
    static func key(_ tokenSet: OAuth2TokenSet) -> [String] { [tokenSet.provider, tokenSet.userID] }

    /// A date as its stored column value: milliseconds since 1970.
    static func timestamp(_ date: Date) -> String {
        String(TokenTimestamp.milliseconds(date))
    }

    // MARK: Rows as tokens

    /// Decodes a row of ``requestColumns``; `nil` when it is malformed.
    static func requestToken(_ row: LibPQRow) -> RequestToken? {
        guard row.count == 9, let token = row[0], let provider = row[1], let secret = row[2],
            let metadata = row[6].flatMap(MetadataJSON.decode), let created = row[7].flatMap(storedDate),
            let expires = row[8].flatMap(storedDate)
        else { return nil }
        return RequestToken(
            provider: provider, token: token, secret: secret,
            context: RequestTokenContext(callbackURL: row[3], returnTo: row[4], sessionBinding: row[5], metadata: metadata),
            createdAt: created, expiresAt: expires)
    }

    /// Decodes a row of ``accessColumns``; `nil` when it is malformed.
    static func accessToken(_ row: LibPQRow) -> AccessToken? {
        guard row.count == 9, let provider = row[0], let userID = row[1], let token = row[2], let secret = row[3],
            let metadata = row[6].flatMap(MetadataJSON.decode), let created = row[7].flatMap(storedDate),
            let updated = row[8].flatMap(storedDate)
        else { return nil }
        return AccessToken(
            provider: provider, userID: userID, token: token, secret: secret, screenName: row[4], accessType: row[5],
            createdAt: created, updatedAt: updated, metadata: metadata)
    }

    /// Decodes a row of ``tokenSetColumns``; `nil` when it is malformed (a version below 1
    /// included: no store writes one).
    static func tokenSet(_ row: LibPQRow) -> OAuth2TokenSet? {
        guard row.count == 14, let provider = row[0], let userID = row[1], let accessToken = row[2], let tokenType = row[3],
            let expires = optionalDate(row[4]), let metadata = row[9].flatMap(MetadataJSON.decode),
            let created = row[10].flatMap(storedDate), let updated = row[11].flatMap(storedDate),
            let invalidated = optionalDate(row[12]), let version = row[13].flatMap({ Int64($0) }), version >= 1
        else { return nil }
        return OAuth2TokenSet(
            provider: provider, userID: userID, accessToken: accessToken, tokenType: tokenType, expiresAt: expires,
            refreshToken: row[5], scope: row[6], idToken: row[7], screenName: row[8], metadata: metadata,
            createdAt: created, updatedAt: updated, invalidatedAt: invalidated, version: version)
    }

    /// A nullable millisecond column: `.some(nil)` for NULL, `nil` (a malformed row) when a
    /// value is there but is not a stored date.
    private static func optionalDate(_ text: String?) -> Date?? {
        guard let text else { return .some(nil) }
        return storedDate(text).map { .some($0) }
    }

    /// A stored millisecond column as a date; `nil` (a malformed row) when it is not an
    /// integer or is outside ``TokenTimestamp/range``, which no store writes.
    private static func storedDate(_ text: String) -> Date? {
        Int64(text).flatMap(TokenTimestamp.date(storedMilliseconds:))
    }

    // MARK: Text PostgreSQL can hold

    /// Whether `text` holds a NUL; a byte scan (`String.contains` goes through Foundation).
    @inline(__always)
    static func hasNUL(_ text: String) -> Bool {
        // Over the contiguous bytes: a loop over `utf8` took 1-2 ns a byte, about 1% of a
        // put's CPU for its nine values.
        var text = text
        return text.withUTF8 { $0.contains(0) }
    }

    /// Text values PostgreSQL cannot hold (NUL) are refused up front with a clear error.
    static func checkStorable(_ values: [String?], store: String, operation: String) throws {
        for value in values where value.map(hasNUL) == true {
            throw TokenStoreError(
                .invalidArgument, store: store, operation: operation, message: "PostgreSQL text cannot hold the NUL character")
        }
    }
}

extension [PostgresRecordCodec.Column] {
    /// The columns as a `SELECT` / `RETURNING` list, JSON read as text.
    var selectList: String { map { $0.isJSON ? "\($0.name)::text" : $0.name }.joined(separator: ", ") }

    /// The column names, for `INSERT INTO t (...)` and `COPY t (...)`.
    var nameList: String { map(\.name).joined(separator: ", ") }

    /// `$1, $2, ...` in column order, JSON cast to `jsonb`.
    var placeholders: String {
        enumerated().map { index, column in "$\(index + 1)" + (column.isJSON ? "::jsonb" : "") }.joined(separator: ", ")
    }

    /// The columns an upsert of an existing key sets from the new row (the version is
    /// counted up instead, ``versionIncrement(stored:)``).
    var updated: [PostgresRecordCodec.Column] { filter { !$0.isKey && !$0.keptOnUpdate && !$0.isVersion } }

    /// `, version = <stored>.version + 1` when the table counts writes, else nothing.
    /// `stored` names the stored row (the table, or its alias): in `ON CONFLICT` an
    /// unqualified name would be ambiguous with `EXCLUDED`'s.
    func versionIncrement(stored: String) -> String {
        filter(\.isVersion).map { ", \($0.name) = \(stored).\($0.name) + 1" }.joined()
    }

    /// `ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c, ...`, the version counted up from
    /// the row stored as `stored` (the table's name).
    func onConflictUpdate(stored: String) -> String {
        "ON CONFLICT (\(filter(\.isKey).nameList)) DO UPDATE SET "
            + updated.map { "\($0.name) = EXCLUDED.\($0.name)" }.joined(separator: ", ") + versionIncrement(stored: stored)
    }

    /// `c = r.x, ...` for an `UPDATE <table> AS <stored> ... FROM` the staging table aliased `r`.
    func setFromStage(stored: String) -> String {
        updated.map { "\($0.name) = r.\($0.staged)" + ($0.isJSON ? "::jsonb" : "") }.joined(separator: ", ")
            + versionIncrement(stored: stored)
    }

    /// `c = $n, ...`: the updated columns from this list's parameters, for an `UPDATE`
    /// whose parameters are this list in order.
    var setFromParameters: String {
        enumerated().filter { _, column in !column.isKey && !column.keptOnUpdate && !column.isVersion }
            .map { index, column in "\(column.name) = $\(index + 1)" + (column.isJSON ? "::jsonb" : "") }
            .joined(separator: ", ")
    }

    /// `key = $n AND ...`: the row whose key is this list's key parameters.
    var keyFromParameters: String {
        enumerated().filter { $0.element.isKey }.map { index, column in "\(column.name) = $\(index + 1)" }.joined(separator: " AND ")
    }

    /// `version = $n`: the stored version is the version parameter (a compare-and-set).
    var versionFromParameters: String {
        enumerated().filter { $0.element.isVersion }.map { index, column in "\(column.name) = $\(index + 1)" }.joined(separator: " AND ")
    }

    /// `r.x, ...`: a staged row as the table's columns.
    var stagedValues: String { map { "r.\($0.staged)" + ($0.isJSON ? "::jsonb" : "") }.joined(separator: ", ") }

    /// `alias.key = r.x AND ...`: a table row whose key is the staged row's.
    func keyMatch(_ alias: String) -> String {
        filter(\.isKey).map { "\(alias).\($0.name) = r.\($0.staged)" }.joined(separator: " AND ")
    }

    /// `r.x, ...`: the staged key columns, the order in which conflict-safe writes lock rows.
    var stagedKeyOrder: String { filter(\.isKey).map { "r.\($0.staged)" }.joined(separator: ", ") }

    /// The staging table's columns after the round: text, and `bigint` for integers.
    var stageDefinition: String {
        map { "\($0.staged) " + ($0.kind == .integer ? "bigint" : "text") }.joined(separator: ", ")
    }
}
