import CTokenStoreSQLite
import TokenStoreKit

// How a SQLite failure becomes the `TokenStoreError` a caller sees: the result code's
// meaning in words a user can act on, and a row that cannot be decoded named by its key.

extension SQLiteError {
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

extension SQLiteConnectionPool {
    /// `error` as the ``TokenStoreError`` a caller sees.
    func storeError(_ error: any Error, operation: String) -> any Error {
        switch error {
        case let error as TokenStoreError:
            return error
        case let error as SQLiteError:
            return error.storeError(store: displayName, operation: operation, busyTimeout: busyTimeout)
        case let error as SQLiteCorruptRow:
            return TokenStoreError(
                .corruptedRecord, store: displayName, operation: operation,
                message: "a stored row cannot be decoded: \(error.problem); delete or repair it", record: error.record)
        default:
            return TokenStoreError(
                .internal, store: displayName, operation: operation, message: "unexpected error", underlying: nil)
        }
    }
}

/// A stored row that cannot be decoded; the runner adds store and operation.
struct SQLiteCorruptRow: Error, Sendable {
    /// The key of the row (`provider/user` or the request token).
    var record: String
    /// Which column is wrong and why.
    var problem: String
}
