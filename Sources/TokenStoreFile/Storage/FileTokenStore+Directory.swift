import Foundation
import TokenStoreKit

extension FileTokenStore {
    /// The directory of token set records, beside `access` and `request`.
    static let tokenSetDirectoryName = "tokensets"

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
            // Also in a store opened without creating it: a directory written before token
            // sets existed is upgraded in place (its records are untouched).
            let tokenSets = path + "/" + tokenSetDirectoryName
            try FileSystem.makeDirectory(tokenSets)
            try checkPrivate(tokenSets, store: store)
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
}
