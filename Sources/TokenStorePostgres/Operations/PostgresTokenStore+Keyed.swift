import TokenStoreKit

// Access tokens and token sets are both rows keyed by (provider, user_id) and listed in
// key order: one keyset page reader serves both, told apart by statements and a decoder.
extension PostgresTokenStore {
    /// One keyset page of at most `limit` rows: `first` from the start, `after` past
    /// `cursor`, each row read by `decode`; `record` ("access token") names a bad row.
    func listKeyed<Record>(
        _ operation: String, first: PostgresStatements.Statement, after: PostgresStatements.Statement,
        cursor: AccessTokenKey?, limit: Int, record: String,
        decode: (LibPQRow) -> Record?
    ) async throws -> [Record] {
        try checkLimit(limit, operation: operation)
        let rows: LibPQRows
        if let cursor {
            rows = try await run(after, [cursor.provider, cursor.userID, String(limit)], operation: operation, idempotent: true)
        } else {
            rows = try await run(first, [String(limit)], operation: operation, idempotent: true)
        }
        try checkShape(rows, operation, record: "\(record)s after \(cursor.map { "\($0)" } ?? "the start")")
        return try rows.map { row in
            guard let decoded = decode(row) else {
                throw corrupted(operation, record: "\(record) \(row.first.flatMap { $0 } ?? "?")/\(row.dropFirst().first.flatMap { $0 } ?? "?")")
            }
            return decoded
        }
    }
}
