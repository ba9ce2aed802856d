import CTokenStoreSQLite

/// A failed SQLite call: the extended result code and `sqlite3_errmsg`.
///
/// `sqlite3_errmsg` never contains bound values, and every SQL text this driver prepares
/// is a constant without data, so the message cannot contain a secret.
struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The extended result code.
    var code: Int32
    /// `sqlite3_errmsg` at the time of the failure.
    var message: String

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    /// Reads the message of the last failure on `db`.
    init(code: Int32, db: OpaquePointer?) {
        self.code = code
        if let db, let text = sqlite3_errmsg(db) {
            self.message = String(cString: text)
        } else {
            self.message = String(cString: sqlite3_errstr(code))
        }
    }

    /// The primary result code (the low byte).
    var primary: Int32 { code & 0xff }

    /// Whether another connection or process holds a lock this call needed.
    var isBusy: Bool { primary == SQLITE_BUSY || primary == SQLITE_LOCKED }

    var description: String { "SQLite error \(code): \(message)" }
}
