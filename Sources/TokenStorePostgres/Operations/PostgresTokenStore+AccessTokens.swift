import Foundation
import TokenStoreKit

extension PostgresTokenStore {
    // MARK: Request tokens

    public func saveRequestToken(_ token: RequestToken) async throws {
        let parameters = PostgresRowCodec.parameters(token)
        try PostgresRowCodec.checkStorable(parameters, store: displayName, operation: "saveRequestToken")
        _ = try await run(statements.saveRequestToken, parameters, operation: "saveRequestToken")
    }

    public func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        guard !PostgresRowCodec.hasNUL(oauthToken) else { return nil }
        let rows = try await run(statements.takeRequestToken, [oauthToken], operation: "takeRequestToken")
        guard let row = rows.first else { return nil }
        try checkShape(rows, "takeRequestToken", record: "request token \(oauthToken)")
        guard let token = PostgresRowCodec.requestToken(row) else {
            throw corrupted("takeRequestToken", record: "request token \(oauthToken)")
        }
        return token.isExpired(at: configuration.clock.now()) ? nil : token
    }

    public func purgeExpiredRequestTokens() async throws -> Int {
        try await run(statements.purgeRequestTokens, [now()], operation: "purgeExpiredRequestTokens").affected
    }

    public func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try checkLimit(limit, operation: "listRequestTokens")
        let rows: LibPQRows
        if let cursor {
            rows = try await run(statements.listRequestTokensAfter, [cursor, now(), String(limit)], operation: "listRequestTokens", idempotent: true)
        } else {
            rows = try await run(statements.listRequestTokensFirst, [now(), String(limit)], operation: "listRequestTokens", idempotent: true)
        }
        try checkShape(rows, "listRequestTokens", record: "request tokens after \(cursor ?? "the start")")
        let tokens = try rows.map { row in
            guard let token = PostgresRowCodec.requestToken(row) else {
                throw corrupted("listRequestTokens", record: "request token \(row.first.flatMap { $0 } ?? "?")")
            }
            return token
        }
        return RequestTokenPage(tokens: tokens, nextCursor: tokens.count == limit ? tokens.last?.token : nil)
    }

    // MARK: Access tokens

    @discardableResult
    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        let parameters = PostgresRowCodec.parameters(token)
        try PostgresRowCodec.checkStorable(parameters, store: displayName, operation: "saveAccessToken")
        let statement = policy == .overwrite ? statements.saveAccessTokenOverwrite : statements.saveAccessTokenIfNewer
        return try await run(statement, parameters, operation: "saveAccessToken").affected > 0
    }

    public func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        guard !PostgresRowCodec.hasNUL(key.provider), !PostgresRowCodec.hasNUL(key.userID) else { return nil }
        let rows = try await run(statements.accessToken, [key.provider, key.userID], operation: "accessToken", idempotent: true)
        guard let row = rows.first else { return nil }
        try checkShape(rows, "accessToken", record: "access token \(key)")
        guard let token = PostgresRowCodec.accessToken(row) else { throw corrupted("accessToken", record: "access token \(key)") }
        return token
    }

    @discardableResult
    public func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        guard !PostgresRowCodec.hasNUL(key.provider), !PostgresRowCodec.hasNUL(key.userID) else { return false }
        return try await run(statements.deleteAccessToken, [key.provider, key.userID], operation: "deleteAccessToken").affected > 0
    }

    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try checkLimit(limit, operation: "listAccessTokens")
        let rows: LibPQRows
        if let cursor {
            rows = try await run(
                statements.listAccessTokensAfter, [cursor.provider, cursor.userID, String(limit)], operation: "listAccessTokens",
                idempotent: true)
        } else {
            rows = try await run(statements.listAccessTokensFirst, [String(limit)], operation: "listAccessTokens", idempotent: true)
        }
        try checkShape(rows, "listAccessTokens", record: "access tokens after \(cursor.map { "\($0)" } ?? "the start")")
        let tokens = try rows.map { row in
            guard let token = PostgresRowCodec.accessToken(row) else {
                throw corrupted("listAccessTokens", record: "access token \(row.first.flatMap { $0 } ?? "?")/\(row.dropFirst().first.flatMap { $0 } ?? "?")")
            }
            return token
        }
        return AccessTokenPage(tokens: tokens, nextCursor: tokens.count == limit ? tokens.last?.key : nil)
    }

    // MARK: Housekeeping

    public func counts() async throws -> TokenCounts {
        let rows = try await run(statements.counts, [now()], operation: "counts", idempotent: true)
        guard let row = rows.first, row.count == 2, let requests = row[0].flatMap({ Int($0) }),
            let accesses = row[1].flatMap({ Int($0) })
        else { throw corrupted("counts", record: nil) }
        return TokenCounts(requestTokens: requests, accessTokens: accesses)
    }

    public func schemaVersion() async throws -> Int {
        if !schemaGate.allowsOperations { return try await schemaStatus().currentVersion }
        let rows = try await run(statements.schemaVersion, [], operation: "schemaVersion", idempotent: true)
        guard let value = rows.first?.first.flatMap({ $0 }).flatMap({ Int($0) }) else {
            throw corrupted("schemaVersion", record: "schema_migrations")
        }
        return value
    }

    // MARK: Helpers

    private func now() -> String { String(TokenTimestamp.milliseconds(configuration.clock.now())) }

    private func checkLimit(_ limit: Int, operation: String) throws {
        guard limit >= 1 else {
            throw TokenStoreError(.invalidArgument, store: displayName, operation: operation, message: "limit must be at least 1, got \(limit)")
        }
    }

    /// Refuses rows whose column types are not the ones the migrations created.
    private func checkShape(_ rows: LibPQRows, _ operation: String, record: @autoclosure () -> String) throws {
        guard let mismatch = rows.shapeMismatch else { return }
        throw TokenStoreError(.corruptedRecord, store: displayName, operation: operation, message: mismatch.message, record: record())
    }

    private func corrupted(_ operation: String, record: String?) -> TokenStoreError {
        TokenStoreError(.corruptedRecord, store: displayName, operation: operation, message: "a stored row cannot be decoded", record: record)
    }
}
