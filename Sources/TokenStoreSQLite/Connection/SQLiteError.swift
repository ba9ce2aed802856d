import CTokenStoreSQLite
import TokenStoreKit

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

    /// The store error a caller sees.
    func storeError(store: String, operation: String, busyTimeout: Duration) -> TokenStoreError {
        let (kind, text): (TokenStoreError.Code, String)
        switch primary {
        case SQLITE_BUSY, SQLITE_LOCKED:
            (kind, text) = (
                .timedOut,
                "the database stayed locked by another connection or process for longer than the busy timeout (\(busyTimeout)); "
                    + "retry, or raise Configuration.busyTimeout")
        case SQLITE_PERM, SQLITE_READONLY, SQLITE_AUTH:
            (kind, text) = (.permissionDenied, "the database or its directory is not writable: \(message)")
        case SQLITE_CANTOPEN:
            (kind, text) = (.unavailable, "cannot open the database file (does its directory exist and is it accessible?): \(message)")
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            (kind, text) = (.unavailable, "the file is not a healthy SQLite database: \(message)")
        case SQLITE_FULL:
            (kind, text) = (.unavailable, "the disk is full: \(message)")
        case SQLITE_IOERR:
            (kind, text) = (.unavailable, "disk I/O error: \(message)")
        case SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_RANGE, SQLITE_MISMATCH:
            (kind, text) = (.invalidArgument, message)
        case SQLITE_INTERRUPT:
            (kind, text) = (.unavailable, "interrupted: \(message)")
        default:
            (kind, text) = (.internal, message)
        }
        return TokenStoreError(kind, store: store, operation: operation, message: text, underlying: self)
    }
}

/// A stored row that cannot be decoded; the runner adds store and operation.
struct SQLiteCorruptRow: Error, Sendable {
    /// The key of the row (`provider/user` or the request token).
    var record: String
    /// Which column is wrong and why.
    var problem: String
}
