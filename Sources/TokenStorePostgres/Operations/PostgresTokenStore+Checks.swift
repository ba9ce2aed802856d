import Foundation
import TokenStoreKit

/// What the operations share: the clock as a stored timestamp, the page limit check, and
/// the checks that turn a row the migrations did not write into `corruptedRecord`.
extension PostgresTokenStore {
    /// The clock's now as a stored timestamp parameter (milliseconds).
    func storedNow() -> String { PostgresRecordCodec.timestamp(configuration.clock.now()) }

    func checkLimit(_ limit: Int, operation: String) throws {
        guard limit >= 1 else {
            throw TokenStoreError(.invalidArgument, store: displayName, operation: operation, message: "limit must be at least 1, got \(limit)")
        }
    }

    /// Refuses rows whose column types are not the ones the migrations created.
    func checkShape(_ rows: LibPQRows, _ operation: String, record: @autoclosure () -> String) throws {
        guard let mismatch = rows.shapeMismatch else { return }
        throw TokenStoreError(.corruptedRecord, store: displayName, operation: operation, message: mismatch.message, record: record())
    }

    func corrupted(_ operation: String, record: String?) -> TokenStoreError {
        TokenStoreError(.corruptedRecord, store: displayName, operation: operation, message: "a stored row cannot be decoded", record: record)
    }
}
