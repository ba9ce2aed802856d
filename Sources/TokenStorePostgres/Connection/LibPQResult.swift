import CTokenStoreLibPQ

/// The rows of one result, copied out of libpq (text format) before `PQclear`.
struct LibPQRows: Sendable {
    /// Each row's columns; `nil` is SQL NULL.
    var rows: [[String?]]
    /// `PQcmdTuples`: rows affected by INSERT/UPDATE/DELETE.
    var affected: Int

    init(copying result: OpaquePointer) {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var columns: [String?] = []
            columns.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) != 0 {
                    columns.append(nil)
                } else {
                    columns.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(columns)
        }
        self.rows = rows
        affected = Int(String(cString: PQcmdTuples(result))) ?? 0
    }
}

/// A failure reported by libpq or the server, before it is mapped to `TokenStoreError`.
struct LibPQFailure: Error, Sendable {
    enum Kind: Sendable {
        /// The server answered with an error (SQLSTATE in ``sqlState``).
        case server
        /// The connection failed or broke.
        case connection
        /// The deadline passed.
        case timeout
        /// The task was cancelled.
        case cancelled
    }

    var kind: Kind
    /// The five-character SQLSTATE of a server error.
    var sqlState: String?
    /// libpq's or the server's message, trimmed. libpq never puts the password in it.
    var message: String
}
