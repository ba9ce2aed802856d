import CTokenStoreLibPQ

/// The rows of one result, copied out of libpq (text format) before `PQclear`.
///
/// Every value sits in one flat array, row after row: one allocation per result however
/// many rows and columns it has (an array per row cost one more per call on every read).
struct LibPQRows: RandomAccessCollection, Sendable {
    /// Every row's columns back to back; `nil` is SQL NULL.
    private let values: [String?]
    /// Columns per row.
    let columnCount: Int
    /// `PQcmdTuples`: rows affected by INSERT/UPDATE/DELETE.
    let affected: Int
    let endIndex: Int
    /// The first column whose type the statement's ``PostgresResultShape`` does not accept
    /// (checked once per result that has rows); its rows must not be decoded.
    let shapeMismatch: PostgresResultShape.Mismatch?

    var startIndex: Int { 0 }

    subscript(row: Int) -> LibPQRow {
        LibPQRow(values: values, start: row * columnCount, count: columnCount)
    }

    init(copying result: OpaquePointer, shape: PostgresResultShape? = nil) {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        if let shape, rowCount > 0 {
            shapeMismatch = shape.mismatch(columnCount: columnCount) { UInt32(PQftype(result, Int32($0))) }
        } else {
            shapeMismatch = nil
        }
        var values: [String?] = []
        values.reserveCapacity(rowCount * columnCount)
        for row in 0..<Int32(rowCount) {
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(result, row, column) != 0 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, row, column)))
                }
            }
        }
        self.values = values
        self.columnCount = columnCount
        endIndex = rowCount
        affected = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// A result without rows (a command that returned none).
    init(affected: Int) {
        shapeMismatch = nil
        values = []
        columnCount = 0
        endIndex = 0
        self.affected = affected
    }
}

/// One row of ``LibPQRows``: its columns in order, `nil` for SQL NULL.
struct LibPQRow: RandomAccessCollection, Sendable {
    fileprivate let values: [String?]
    fileprivate let start: Int
    let count: Int

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(column: Int) -> String? { values[start + column] }
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
