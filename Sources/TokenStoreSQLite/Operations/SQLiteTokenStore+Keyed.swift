import TokenStoreKit

// Access tokens and token sets are both rows keyed by (provider, user_id): one keyed delete
// and one keyset page reader serve both, told apart by statement ids and a row decoder.
extension SQLiteTokenStore {
    /// Runs the delete statement `id` on the row under `key`; whether a row went.
    func deleteKeyed(_ operation: String, _ id: SQLiteStatementID, key: AccessTokenKey) async throws -> Bool {
        try await pool.run(operation, access: .write, inline: inlineWrites) { connection in
            let statement = try connection.statement(id)
            defer { connection.finish(statement) }
            try connection.bind(statement, 1, key.provider)
            try connection.bind(statement, 2, key.userID)
            while try connection.step(statement) {}
            return connection.changes > 0
        }
    }

    /// One keyset page of at most `limit` rows: `first` from the start, `after` past
    /// `cursor` (both bind the cursor as 1, 2 and the limit as 3), each row read by `decode`.
    func listKeyed<Row: Sendable>(
        _ operation: String, first: SQLiteStatementID, after: SQLiteStatementID,
        cursor: AccessTokenKey?, limit: Int,
        decode: @escaping @Sendable (SQLiteConnection, OpaquePointer) throws -> Row
    ) async throws -> [Row] {
        try await pool.run(operation, access: .read, inline: limit <= Self.inlineRowLimit) { connection in
            let statement = try connection.statement(cursor == nil ? first : after)
            defer { connection.finish(statement) }
            if let cursor {
                try connection.bind(statement, 1, cursor.provider)
                try connection.bind(statement, 2, cursor.userID)
            }
            connection.bind(statement, 3, Int64(limit))
            var rows: [Row] = []
            while try connection.step(statement) {
                rows.append(try decode(connection, statement))
            }
            return rows
        }
    }
}
