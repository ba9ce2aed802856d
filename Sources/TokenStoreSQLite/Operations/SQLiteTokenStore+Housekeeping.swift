import CTokenStoreSQLite
import TokenStoreKit

extension SQLiteTokenStore {
    public func purgeExpiredRequestTokens() async throws -> Int {
        try schemaGate.check(store: displayName, operation: "purgeExpiredRequestTokens")
        let now = nowMilliseconds
        // Unbounded work: always on the connection's thread.
        return try await pool.run("purgeExpiredRequestTokens", access: .write, inline: false) { connection in
            let statement = try connection.statement(.purgeRequestTokens)
            defer { connection.finish(statement) }
            connection.bind(statement, 1, now)
            while try connection.step(statement) {}
            return connection.changes
        }
    }

    /// Counts with three index scans: on the connection's thread for large stores.
    public func counts() async throws -> TokenCounts {
        try schemaGate.check(store: displayName, operation: "counts")
        let now = nowMilliseconds
        return try await pool.run("counts", access: .read, inline: false) { connection in
            let statement = try connection.statement(.counts)
            defer { connection.finish(statement) }
            connection.bind(statement, 1, now)
            guard try connection.step(statement) else { return TokenCounts(requestTokens: 0, accessTokens: 0, tokenSets: 0) }
            return TokenCounts(
                requestTokens: Int(sqlite3Int(statement, 0)), accessTokens: Int(sqlite3Int(statement, 1)),
                tokenSets: Int(sqlite3Int(statement, 2)))
        }
    }

    /// One aggregate query (`GROUP BY provider` along the primary key) on a connection's
    /// thread: it touches every row's key but decodes no token.
    public func countAccessTokensByProvider() async throws -> AccessTokenCounts {
        let operation = "countAccessTokensByProvider"
        try schemaGate.check(store: displayName, operation: operation)
        let store = displayName
        return try await pool.run(operation, access: .read, inline: false) { connection in
            let statement = try connection.statement(.accessTokenCountsByProvider)
            defer { connection.finish(statement) }
            var counts: [String: Int] = [:]
            while try connection.step(statement) {
                let provider: String
                let count: Int64
                do throws(SQLiteColumnError) {
                    provider = try connection.requiredText(statement, 0, column: "provider")
                    count = try connection.integer(statement, 1, column: "count(*)")
                } catch {
                    throw TokenStoreError(
                        .corruptedRecord, store: store, operation: operation,
                        message: "an access_tokens row cannot be counted: \(error.problem)",
                        record: "access_tokens row with an unreadable provider")
                }
                counts[provider] = Int(exactly: count) ?? Int.max
            }
            return AccessTokenCounts(byProvider: counts)
        }
    }
}
