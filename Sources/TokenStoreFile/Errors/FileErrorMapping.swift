import TokenStoreKit

// File system failures, damaged records and a closed store, as the `TokenStoreError`s the
// operations throw: each names the store, the operation and the file, never a secret.
extension FileTokenStore {
    /// A `TokenStoreError` for a failed system call.
    static func error(_ failure: FileSystem.Failure, store: String, operation: String) -> TokenStoreError {
        if failure.isNotAFile {
            return TokenStoreError(
                .corruptedRecord, store: store, operation: operation,
                message: "a directory or other non-file is where a record file belongs (\(failure.call) failed: "
                    + "\(failure.reason)); move it away to repair",
                record: failure.path, underlying: failure)
        }
        let code: TokenStoreError.Code = FileSystem.isPermission(failure.errno) ? .permissionDenied : .unavailable
        return TokenStoreError(
            code, store: store, operation: operation,
            message: "\(failure.call) failed: \(failure.reason)", record: failure.path, underlying: failure)
    }

    func error(_ failure: FileSystem.Failure, _ operation: String) -> TokenStoreError {
        Self.error(failure, store: displayName, operation: operation)
    }

    func corrupted(_ path: String, _ operation: String, _ reason: String = FileRecord.notARecord) -> TokenStoreError {
        TokenStoreError(
            .corruptedRecord, store: displayName, operation: operation,
            message: reason + "; move it away to repair", record: path)
    }

    func closedError(_ operation: String) -> TokenStoreError {
        TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
    }
}
