import Logging
import TokenStoreKit

extension FileTokenStore {
    /// Settings of a file store: where it lives and what it reports to.
    ///
    /// Build one from a URL with ``init(url:options:)``, or from a path with
    /// ``init(directory:clock:logger:)``.
    public struct Configuration: Sendable {
        /// The directory holding the store: an absolute path; missing directories are
        /// created 0700 (unless ``createIfMissing`` is `false`).
        public var directory: String
        /// Where the store reads the current time.
        public var clock: TokenClock
        /// Where the store logs skipped records. Never receives secrets.
        public var logger: Logger
        /// Whether opening creates a missing store directory (default `true`). With `false`
        /// a directory that does not exist or is not a store (no `schema-version` file, no
        /// `access` and `request` directories) is `TokenStoreError.Code.unavailable` and
        /// nothing is created (`TokenStoreOptions.createIfMissing`). An existing store
        /// written before token sets existed still gets its `tokensets` directory.
        public var createIfMissing = true

        /// Creates a configuration for the store in `directory`; the default logger
        /// discards everything.
        public init(
            directory: String,
            clock: TokenClock = .system,
            logger: Logger = Logger(label: "tokenstore.file", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.directory = directory
            self.clock = clock
            self.logger = logger
        }

        /// Checks the directory path and returns it without trailing slashes.
        ///
        /// - Throws: `TokenStoreError` with `misconfigured` for a relative path, the root
        ///   directory or a path with a NUL byte.
        func validate() throws(TokenStoreError) -> String {
            var path = directory
            while path.count > 1, path.hasSuffix("/") { path.removeLast() }
            let store = "file://" + path
            guard path.hasPrefix("/") else {
                throw TokenStoreError(
                    .misconfigured, store: store, operation: "open",
                    message: "the directory must be an absolute path, got '\(directory)'")
            }
            guard path.contains(where: { $0 != "/" }) else {
                throw TokenStoreError(
                    .misconfigured, store: store, operation: "open", message: "the root directory cannot be a store")
            }
            guard !path.contains("\0") else {
                throw TokenStoreError(
                    .misconfigured, store: store, operation: "open", message: "the directory path contains a NUL byte")
            }
            return path
        }
    }
}
