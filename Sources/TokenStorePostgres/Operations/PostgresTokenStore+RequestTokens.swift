import Foundation
import TokenStoreKit

extension PostgresTokenStore {
    public func saveRequestToken(_ token: RequestToken) async throws {
        let parameters = PostgresRecordCodec.parameters(token)
        try PostgresRecordCodec.checkStorable(parameters, store: displayName, operation: "saveRequestToken")
        _ = try await run(statements.saveRequestToken, parameters, operation: "saveRequestToken")
    }

    public func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        guard !PostgresRecordCodec.hasNUL(oauthToken) else { return nil }
        let rows = try await run(statements.takeRequestToken, [oauthToken], operation: "takeRequestToken")
        guard let row = rows.first else { return nil }
        try checkShape(rows, "takeRequestToken", record: "request token \(oauthToken)")
        guard let token = PostgresRecordCodec.requestToken(row) else {
            throw corrupted("takeRequestToken", record: "request token \(oauthToken)")
        }
        return token.isExpired(at: configuration.clock.now()) ? nil : token
    }

    public func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try checkLimit(limit, operation: "listRequestTokens")
        let rows: LibPQRows
        if let cursor {
            rows = try await run(statements.listRequestTokensAfter, [cursor, storedNow(), String(limit)], operation: "listRequestTokens", idempotent: true)
        } else {
            rows = try await run(statements.listRequestTokensFirst, [storedNow(), String(limit)], operation: "listRequestTokens", idempotent: true)
        }
        try checkShape(rows, "listRequestTokens", record: "request tokens after \(cursor ?? "the start")")
        let tokens = try rows.map { row in
            guard let token = PostgresRecordCodec.requestToken(row) else {
                throw corrupted("listRequestTokens", record: "request token \(row.first.flatMap { $0 } ?? "?")")
            }
            return token
        }
        return RequestTokenPage(tokens: tokens, nextCursor: tokens.count == limit ? tokens.last?.token : nil)
    }
}
