import CTokenStoreSQLite
import TokenStoreKit

extension SQLiteTokenStore {
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
