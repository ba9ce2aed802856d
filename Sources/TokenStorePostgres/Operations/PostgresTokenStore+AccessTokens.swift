import Foundation
import TokenStoreKit

extension PostgresTokenStore {
    @discardableResult
    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        let parameters = PostgresRecordCodec.parameters(token)
        try PostgresRecordCodec.checkStorable(parameters, store: displayName, operation: "saveAccessToken")
        let statement = policy == .overwrite ? statements.saveAccessTokenOverwrite : statements.saveAccessTokenIfNewer
        return try await run(statement, parameters, operation: "saveAccessToken").affected > 0
    }

    public func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        guard !PostgresRecordCodec.hasNUL(key.provider), !PostgresRecordCodec.hasNUL(key.userID) else { return nil }
        let rows = try await run(statements.accessToken, [key.provider, key.userID], operation: "accessToken", idempotent: true)
        guard let row = rows.first else { return nil }
        try checkShape(rows, "accessToken", record: "access token \(key)")
        guard let token = PostgresRecordCodec.accessToken(row) else { throw corrupted("accessToken", record: "access token \(key)") }
        return token
    }

    @discardableResult
    public func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        guard !PostgresRecordCodec.hasNUL(key.provider), !PostgresRecordCodec.hasNUL(key.userID) else { return false }
        return try await run(statements.deleteAccessToken, [key.provider, key.userID], operation: "deleteAccessToken").affected > 0
    }

    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        let tokens = try await listKeyed(
            "listAccessTokens", first: statements.listAccessTokensFirst, after: statements.listAccessTokensAfter,
            cursor: cursor, limit: limit, record: "access token", decode: PostgresRecordCodec.accessToken)
        return AccessTokenPage(tokens: tokens, nextCursor: tokens.count == limit ? tokens.last?.key : nil)
    }
}
