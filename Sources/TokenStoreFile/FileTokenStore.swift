import Dispatch
import Foundation
import Logging
import Synchronization
import TokenStoreKit

/// A store in one directory of files (`file:///path/dir`), for one machine.
///
/// Layout: `schema-version` (the number 1), `lock`, `access/<hex provider>.<hex user id>.json`,
/// `tokensets/<hex provider>.<hex user id>.json` (OAuth 2.0 token sets, each with its refresh
/// lease) and `request/<hex token>.json`, each a small JSON record. A directory written
/// before token sets existed gets its `tokensets` directory when it is opened; nothing else
/// changes, so the schema version stays 1. The hex of the key's UTF-8
/// bytes makes any key, however hostile (`../x`, `/`, newlines), a safe file name; a key
/// too long for a file name is stored as `h-<SHA-256 of the key>.json` with the key
/// inside. Names of other shapes are not records and are ignored. Files are created 0600 and directories 0700 whatever the umask, and
/// the store refuses a directory that group or others can write to.
///
/// - Every write is atomic and durable: a temp file in the same directory is written,
///   fsynced and renamed over the record, then the directory is fsynced.
/// - `take` renames the record to a private claim name before reading it. `rename` is
///   atomic, so among any number of tasks and processes exactly one claims a token.
/// - Access token and token set upserts, a token set's compare-and-set and its refresh
///   lease read, compare and write under an exclusive `flock` on `lock`, so `createdAt`,
///   `.ifNewer`, versions and leases hold across processes.
/// - A record that cannot be decoded gives `TokenStoreError.Code.corruptedRecord` naming
///   its file to the operation that reads it (`accessToken`, `takeRequestToken`,
///   `tokenSet`, and a token set's compare-and-set and lease calls); saves replace it; listings,
///   counts and purges skip it and log a warning, and every other key keeps working. Files
///   whose names are not record names (editor backups, notes) are ignored.
///
/// Size: listing and counting scan the directory, so each page costs time in proportion
/// to the number of records (memory stays bounded by the page size). The file store suits
/// one machine with up to some tens of thousands of tokens; beyond that use SQLite.
///
/// Threads: writes, `take`, listings, counts and purges block (fsync takes milliseconds,
/// a scan reads many files), so they run on the store's serial `DispatchQueue` and resume
/// the caller from there. `accessToken(for:)` and `tokenSet(for:)` are one small read from
/// the page cache, a few microseconds, less than a hop off the cooperative pool and back
/// would cost, so they run inline on the caller's thread.
public final class FileTokenStore: TokenStore {
    /// The directory holding the records.
    public let directory: String
    /// `file://` followed by the directory.
    public let displayName: String
    let accessDirectory: String
    let requestDirectory: String
    let tokenSetDirectory: String
    let clock: TokenClock
    let logger: Logger
    let queue: DispatchQueue
    /// The open `lock` file; `nil` once closed. Used only on `queue`.
    let lockFile: Mutex<Int32?>
    private let isClosed = Atomic<Bool>(false)
    var isClosedFlag: Bool { isClosed.load(ordering: .acquiring) }
    func markClosed() { isClosed.store(true, ordering: .releasing) }

    /// Opens (creating when missing, unless the configuration says otherwise) the store in
    /// the configuration's directory.
    ///
    /// Opening makes a few blocking system calls (mkdir, stat, a small read, and an fsync
    /// when the store is new); they run on a Dispatch thread, off the cooperative pool.
    ///
    /// - Parameter configuration: the directory, clock, logger and whether to create it.
    /// - Throws: `TokenStoreError` with `TokenStoreError.Code.misconfigured` for a
    ///   relative path or a path that is not a directory, `TokenStoreError.Code.permissionDenied`
    ///   when group or others can write to the directory or it cannot be accessed,
    ///   `TokenStoreError.Code.unavailable` for a missing store opened without creating it,
    ///   `TokenStoreError.Code.schemaTooNew` when a newer version of this library wrote it,
    ///   `TokenStoreError.Code.corruptedRecord` for an unreadable `schema-version` file.
    public init(configuration: Configuration) async throws {
        let path = try configuration.validate()
        let store = "file://" + path
        let create = configuration.createIfMissing
        let lock = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.prepare(path, store: store, create: create) })
            }
        }
        self.directory = path
        self.displayName = store
        self.accessDirectory = path + "/access"
        self.requestDirectory = path + "/request"
        self.tokenSetDirectory = path + "/" + Self.tokenSetDirectoryName
        self.clock = configuration.clock
        self.logger = configuration.logger
        self.queue = DispatchQueue(label: "tokenstore.file.writes")
        self.lockFile = Mutex(lock)
    }

    /// Opens the store a `file:` URL names (see ``Configuration/init(url:options:)`` for the
    /// forms).
    ///
    /// - Parameters:
    ///   - url: `file:///absolute/dir`, `file://localhost/absolute/dir` or `file:/absolute/dir`.
    ///   - options: the clock, logger and whether to create a missing store.
    /// - Throws: `TokenStoreError`: `TokenStoreError.Code.misconfigured` for a URL that
    ///   does not name a local absolute directory, and whatever ``init(configuration:)`` throws.
    public convenience init(url: String, options: TokenStoreOptions = TokenStoreOptions()) async throws {
        try await self.init(configuration: Configuration(url: url, options: options))
    }

    deinit {
        lockFile.withLock { fd in
            if let descriptor = fd { FileSystem.closeDescriptor(descriptor) }
            fd = nil
        }
    }
}

extension FileTokenStore {
    /// Closes the lock file after the writes already queued. Later calls throw
    /// `TokenStoreError.Code.closed`; closing twice is harmless.
    public func close() async throws {
        markClosed()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.lockFile.withLock { fd in
                    if let descriptor = fd { FileSystem.closeDescriptor(descriptor) }
                    fd = nil
                }
                continuation.resume()
            }
        }
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
