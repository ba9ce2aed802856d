import Dispatch
import Foundation
import Logging
import Synchronization

/// A store in one directory of files (`file:///path/dir`), for one machine.
///
/// Layout: `schema-version` (the number 1), `lock`, `access/<hex provider>.<hex user id>.json`
/// and `request/<hex token>.json`, each a small JSON record. The hex of the key's UTF-8
/// bytes makes any key, however hostile (`../x`, `/`, newlines), a safe file name; a key
/// too long for a file name is stored as `h-<SHA-256 of the key>.json` with the key
/// inside. Names of other shapes are not records and are ignored. Files are created 0600 and directories 0700 whatever the umask, and
/// the store refuses a directory that group or others can write to.
///
/// - Every write is atomic and durable: a temp file in the same directory is written,
///   fsynced and renamed over the record, then the directory is fsynced.
/// - `take` renames the record to a private claim name before reading it. `rename` is
///   atomic, so among any number of tasks and processes exactly one claims a token.
/// - Access token upserts read, compare and write under an exclusive `flock` on `lock`,
///   so `createdAt` and `.ifNewer` hold across processes.
/// - A record that cannot be decoded gives ``TokenStoreError/Code/corruptedRecord`` naming
///   its file to the operation that reads it (`accessToken`, `takeRequestToken`); listings,
///   counts and purges skip it and log a warning, and every other key keeps working. Files
///   whose names are not record names (editor backups, notes) are ignored.
///
/// Size: listing and counting scan the directory, so each page costs time in proportion
/// to the number of records (memory stays bounded by the page size). The file store suits
/// one machine with up to some tens of thousands of tokens; beyond that use SQLite.
///
/// Threads: writes, `take`, listings, counts and purges block (fsync takes milliseconds,
/// a scan reads many files), so they run on the store's serial `DispatchQueue` and resume
/// the caller from there. `accessToken(for:)` is one small read from the page cache, a
/// few microseconds, less than the ~27 us a hop off the cooperative pool and back would
/// cost, so it runs inline on the caller's thread.
public final class FileTokenStore: TokenStore {
    /// Settings of a file store.
    public struct Configuration: Sendable {
        /// Where the store reads the current time.
        public var clock: TokenClock
        /// Where the store logs skipped records. Never receives secrets.
        public var logger: Logger
        /// Whether opening creates a missing store directory (default `true`). With `false`
        /// a directory that does not exist or is not a store (no `schema-version` file, no
        /// `access` and `request` directories) is ``TokenStoreError/Code/unavailable`` and
        /// nothing is created (``TokenStoreOptions/createIfMissing``).
        public var createIfMissing = true

        /// Creates a configuration; the default logger discards everything.
        public init(
            clock: TokenClock = .system,
            logger: Logger = Logger(label: "tokenstore.file", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.clock = clock
            self.logger = logger
        }
    }

    /// The schema version this code writes and reads.
    public static let currentSchemaVersion = 1

    /// The directory holding the records.
    public let directory: String
    /// `file://` followed by the directory.
    public let displayName: String
    let accessDirectory: String
    let requestDirectory: String
    let clock: TokenClock
    let logger: Logger
    let queue: DispatchQueue
    /// The open `lock` file; `nil` once closed. Used only on `queue`.
    let lockFile: Mutex<Int32?>
    private let isClosed = Atomic<Bool>(false)
    var isClosedFlag: Bool { isClosed.load(ordering: .acquiring) }
    func markClosed() { isClosed.store(true, ordering: .releasing) }

    /// Opens (creating when missing) the store in `directory`.
    ///
    /// Opening makes a few blocking system calls (mkdir, stat, a small read, and an fsync
    /// when the store is new); ``driver`` runs it off the cooperative pool.
    ///
    /// - Parameters:
    ///   - directory: an absolute path; missing directories are created 0700.
    ///   - configuration: the clock and logger.
    /// - Throws: ``TokenStoreError`` with ``TokenStoreError/Code/misconfigured`` for a
    ///   relative path or a path that is not a directory, ``TokenStoreError/Code/permissionDenied``
    ///   when group or others can write to the directory or it cannot be accessed,
    ///   ``TokenStoreError/Code/schemaTooNew`` when a newer version of this library wrote it,
    ///   ``TokenStoreError/Code/corruptedRecord`` for an unreadable `schema-version` file.
    public init(directory: String, configuration: Configuration = Configuration()) throws {
        var path = directory
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        self.directory = path
        self.displayName = "file://" + path
        self.accessDirectory = path + "/access"
        self.requestDirectory = path + "/request"
        self.clock = configuration.clock
        self.logger = configuration.logger
        self.queue = DispatchQueue(label: "tokenstore.file.writes")
        let store = "file://" + path
        guard path.hasPrefix("/") else {
            throw TokenStoreError(
                .misconfigured, store: store, operation: "open",
                message: "the directory must be an absolute path, got '\(directory)'")
        }
        guard path.contains(where: { $0 != "/" }) else {
            throw TokenStoreError(.misconfigured, store: store, operation: "open", message: "the root directory cannot be a store")
        }
        guard !path.contains("\0") else {
            throw TokenStoreError(.misconfigured, store: store, operation: "open", message: "the directory path contains a NUL byte")
        }
        let lock = try Self.prepare(path, store: store, create: configuration.createIfMissing)
        self.lockFile = Mutex(lock)
    }

    deinit {
        lockFile.withLock { fd in
            if let descriptor = fd { FileSystem.closeDescriptor(descriptor) }
            fd = nil
        }
    }
}
