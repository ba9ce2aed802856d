import Foundation
import TokenStoreKit

/// OAuth 2.0 token sets: the access tokens' operations over `token_sets`, and the
/// compare-and-set and refresh lease, each a single statement (atomic on the server, with
/// no transaction or lock held across round trips). The bulk save is in
/// `PostgresTokenStore+Batches.swift`.
extension PostgresTokenStore {
    @discardableResult
    public func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool {
        let parameters = PostgresRecordCodec.parameters(tokenSet)
        try PostgresRecordCodec.checkStorable(parameters, store: displayName, operation: "saveTokenSet")
        let statement = policy == .overwrite ? statements.saveTokenSetOverwrite : statements.saveTokenSetIfNewer
        return try await run(statement, parameters, operation: "saveTokenSet").affected > 0
    }

    public func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? {
        guard Self.isStorable(key) else { return nil }
        let rows = try await run(statements.tokenSet, [key.provider, key.userID], operation: "tokenSet", idempotent: true)
        guard let row = rows.first else { return nil }
        return try decodeTokenSet(row, of: rows, "tokenSet", key: key)
    }

    @discardableResult
    public func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool {
        guard Self.isStorable(key) else { return false }
        return try await run(statements.deleteTokenSet, [key.provider, key.userID], operation: "deleteTokenSet").affected > 0
    }

    public func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage {
        let tokenSets = try await listKeyed(
            "listTokenSets", first: statements.listTokenSetsFirst, after: statements.listTokenSetsAfter,
            cursor: cursor, limit: limit, record: "token set", decode: PostgresRecordCodec.tokenSet)
        return OAuth2TokenSetPage(tokenSets: tokenSets, nextCursor: tokenSets.count == limit ? tokenSets.last?.key : nil)
    }

    /// One `UPDATE ... WHERE version = expected RETURNING ...`: the row lock orders
    /// concurrent replaces, and each sees the version the one before it wrote. A write, so
    /// never retried after a lost connection (it may have run).
    public func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? {
        guard Self.isStorable(tokenSet.key) else { return nil }
        let parameters = PostgresRecordCodec.replacement(tokenSet, ifVersion: expected)
        try PostgresRecordCodec.checkStorable(parameters, store: displayName, operation: "replaceTokenSet")
        let rows = try await run(statements.replaceTokenSet, parameters, operation: "replaceTokenSet")
        guard let row = rows.first else { return nil }
        return try decodeTokenSet(row, of: rows, "replaceTokenSet", key: tokenSet.key)
    }

    /// One conditional `UPDATE` of the lease columns, its expiry judged by the store's
    /// clock (sent as a parameter, like request-token expiry), so tests with a manual
    /// clock and servers with a skewed one agree with the other drivers.
    public func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool {
        let operation = "acquireRefreshLease"
        let milliseconds = try RefreshLeaseDuration.milliseconds(duration, store: displayName, operation: operation)
        try PostgresRecordCodec.checkStorable([owner], store: displayName, operation: operation)
        guard Self.isStorable(key) else { return false }
        // `milliseconds(_:)` clamps now into the timestamp range, so adding an hour at most cannot overflow.
        let now = TokenTimestamp.milliseconds(configuration.clock.now())
        let parameters = [key.provider, key.userID, owner, String(now), String(now + milliseconds)]
        return try await run(statements.acquireRefreshLease, parameters, operation: operation).affected > 0
    }

    @discardableResult
    public func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool {
        // Text with NUL cannot be stored, so no lease is held under such a key or owner.
        guard Self.isStorable(key), !PostgresRecordCodec.hasNUL(owner) else { return false }
        return try await run(statements.releaseRefreshLease, [key.provider, key.userID, owner], operation: "releaseRefreshLease")
            .affected > 0
    }

    /// Whether a key can name a stored row: PostgreSQL text cannot hold NUL.
    private static func isStorable(_ key: AccessTokenKey) -> Bool {
        !PostgresRecordCodec.hasNUL(key.provider) && !PostgresRecordCodec.hasNUL(key.userID)
    }

    /// The token set in `row` (the first of `rows`), or `corruptedRecord` naming `key`.
    private func decodeTokenSet(_ row: LibPQRow, of rows: LibPQRows, _ operation: String, key: AccessTokenKey) throws -> OAuth2TokenSet {
        try checkShape(rows, operation, record: "token set \(key)")
        guard let tokenSet = PostgresRecordCodec.tokenSet(row) else { throw corrupted(operation, record: "token set \(key)") }
        return tokenSet
    }
}
