import TokenStoreKit

extension PostgresTokenStore {
    public func purgeExpiredRequestTokens() async throws -> Int {
        try await run(statements.purgeRequestTokens, [storedNow()], operation: "purgeExpiredRequestTokens").affected
    }

    /// One round trip: a subquery per table.
    public func counts() async throws -> TokenCounts {
        let rows = try await run(statements.counts, [storedNow()], operation: "counts", idempotent: true)
        guard let row = rows.first, row.count == 3, let requests = row[0].flatMap({ Int($0) }),
            let accesses = row[1].flatMap({ Int($0) }), let tokenSets = row[2].flatMap({ Int($0) })
        else { throw corrupted("counts", record: nil) }
        return TokenCounts(requestTokens: requests, accessTokens: accesses, tokenSets: tokenSets)
    }

    /// One `GROUP BY provider` query: the server aggregates (an index-only or parallel
    /// scan) and sends one row per provider; no token is sent or decoded.
    public func countAccessTokensByProvider() async throws -> AccessTokenCounts {
        let operation = "countAccessTokensByProvider"
        let access = PostgresStatements.quote(configuration.schema) + ".access_tokens"
        let statement = PostgresStatements.Statement(
            name: "ts_count_at_provider",
            sql: "SELECT provider, count(*) FROM \(access) GROUP BY provider")
        let rows = try await run(statement, [], operation: operation, idempotent: true)
        var counts: [String: Int] = [:]
        for row in rows {
            guard row.count == 2, let provider = row[0], let count = row[1].flatMap({ Int($0) }), count >= 0 else {
                throw TokenStoreError(
                    .corruptedRecord, store: displayName, operation: operation,
                    message: "the per-provider count came back in an unexpected form", record: "access_tokens")
            }
            counts[provider] = count
        }
        return AccessTokenCounts(byProvider: counts)
    }
}
