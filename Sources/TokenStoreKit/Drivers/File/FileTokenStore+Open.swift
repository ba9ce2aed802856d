import Foundation

extension FileTokenStore {
    static let versionFileName = "schema-version"

    /// Creates (unless `create` is `false`) or checks the directory tree and the schema
    /// version; returns the open lock file.
    static func prepare(_ path: String, store: String, create: Bool = true) throws -> Int32 {
        do {
            if create {
                try makeDirectories(path, store: store)
            } else {
                try requireExistingStore(path, store: store)
            }
            for directory in [path, path + "/access", path + "/request"] {
                if create { try FileSystem.makeDirectory(directory) }
                try checkPrivate(directory, store: store)
            }
            try checkVersion(path, store: store)
            return try FileSystem.openLockFile(path + "/lock")
        } catch let failure as FileSystem.Failure {
            throw error(failure, store: store, operation: "open")
        }
    }

    /// Checks that `path` holds a store, for a store opened without creating it.
    private static func requireExistingStore(_ path: String, store: String) throws {
        guard try FileSystem.mode(path) != nil else {
            throw TokenStoreError(
                .unavailable, store: store, operation: "open",
                message: "the directory does not exist (opened without creating it); check the path", record: path)
        }
        for entry in [versionFileName, "access", "request"] where try FileSystem.mode(path + "/" + entry) == nil {
            throw TokenStoreError(
                .unavailable, store: store, operation: "open",
                message: "the directory is not a token store (it has no \(entry)); check the path", record: path)
        }
    }

    /// Creates the missing parents of `path` (0700, like the store directory).
    private static func makeDirectories(_ path: String, store: String) throws {
        var prefix = ""
        let components = path.split(separator: "/")
        for component in components.dropLast() {
            prefix += "/" + component
            if try FileSystem.mode(prefix) == nil { try FileSystem.makeDirectory(prefix) }
        }
    }

    /// Refuses a directory that group or others can write to: anyone who can write there
    /// can plant or swap records.
    private static func checkPrivate(_ directory: String, store: String) throws {
        guard let (mode, isDirectory) = try FileSystem.mode(directory) else {
            throw TokenStoreError(.unavailable, store: store, operation: "open", message: "\(directory) vanished while opening")
        }
        guard isDirectory else {
            throw TokenStoreError(
                .misconfigured, store: store, operation: "open",
                message: "\(directory) is not a directory (symbolic links are not followed)", record: directory)
        }
        if mode & 0o022 != 0 {
            throw TokenStoreError(
                .permissionDenied, store: store, operation: "open",
                message: "\(directory) is writable by group or others (mode \(String(mode, radix: 8))); "
                    + "token secrets need a private directory: run chmod 700 '\(directory)'",
                record: directory)
        }
    }

    private static func checkVersion(_ path: String, store: String) throws {
        let file = path + "/" + versionFileName
        guard let bytes = try FileSystem.readFile(file) else {
            try FileSystem.writeAtomically(Array("\(currentSchemaVersion)\n".utf8), to: file, directory: path)
            try FileSystem.syncDirectory(path)
            return
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let version = Int(text), version >= 1 else {
            throw TokenStoreError(
                .corruptedRecord, store: store, operation: "open",
                message: "the schema version file does not hold a version number", record: file)
        }
        if version > currentSchemaVersion {
            throw TokenStoreError(
                .schemaTooNew, store: store, operation: "open",
                message: "the directory has schema version \(version), this code knows up to \(currentSchemaVersion); "
                    + "upgrade the library", record: file)
        }
    }

    /// A ``TokenStoreError`` for a failed system call.
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

    var closed: Bool { isClosedFlag }

    /// Runs `body` on the store's queue, resuming the caller when it is done. Blocking
    /// calls there never park a cooperative thread.
    func onQueue<T: Sendable>(_ operation: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        if closed { throw closedError(operation) }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                if self.closed {
                    continuation.resume(throwing: self.closedError(operation))
                    return
                }
                do {
                    continuation.resume(returning: try body())
                } catch let failure as FileSystem.Failure {
                    continuation.resume(throwing: self.error(failure, operation))
                } catch let error as TokenStoreError {
                    continuation.resume(throwing: error)
                } catch {
                    // Only encoding can get here; keep the contract of one error type.
                    continuation.resume(throwing: TokenStoreError(
                        .internal, store: self.displayName, operation: operation,
                        message: "unexpected \(type(of: error)) while encoding a record"))
                }
            }
        }
    }
}
