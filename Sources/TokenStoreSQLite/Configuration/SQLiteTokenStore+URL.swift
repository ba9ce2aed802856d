import Foundation
import Logging
import TokenStoreKit

extension SQLiteTokenStore.Configuration {
    /// Reads a `sqlite:` store URL: `sqlite:///absolute/path/tokens.db` (also
    /// `sqlite://localhost/...`), `sqlite:relative/path.db` (against the current
    /// directory) or `sqlite::memory:`; the path is percent-decoded.
    ///
    /// Query parameters: `busy_timeout_ms` (``busyTimeout`` in milliseconds, 0 or more)
    /// and `pool_max` (``maxConnections``, 1 to 10,000). Clock, logger,
    /// `migrateSchemaOnOpen` and `createIfMissing` come from `options`. A parameter given
    /// by its old name (`connections` for `pool_max`) still works for this release and
    /// logs a warning naming the new one.
    ///
    /// - Throws: `TokenStoreError` with `TokenStoreError.Code.misconfigured` naming the
    ///   problem.
    public init(url: String, options: TokenStoreOptions = TokenStoreOptions()) throws(TokenStoreError) {
        let parsed = try SQLiteStoreURL.parse(url)
        self.init(
            path: parsed.path, clock: options.clock, logger: options.logger, migrateSchemaOnOpen: options.migrateSchemaOnOpen)
        createIfMissing = options.createIfMissing
        if let milliseconds = parsed.busyTimeoutMilliseconds { busyTimeout = .milliseconds(milliseconds) }
        if let maxConnections = parsed.maxConnections { self.maxConnections = maxConnections }
        for renamed in parsed.renamedParameters {
            options.logger.warning(
                "SQLite store URL parameter '\(renamed.old)' is renamed '\(renamed.new)'; the old name stops working in the next release",
                metadata: ["store": "\(SQLiteTokenStore.displayName(path: SQLiteTokenStore.absolutePath(parsed.path)))"])
        }
    }
}

/// A parsed `sqlite:` store URL.
///
/// Accepted forms:
/// - `sqlite:///absolute/path/tokens.db` (also `sqlite://localhost/absolute/path`)
/// - `sqlite:relative/path/tokens.db` and `sqlite:/absolute/path` (a path without `//`,
///   relative paths resolve against the current directory)
/// - `sqlite::memory:` (a private in-memory database)
///
/// Paths are percent-decoded (`%20` is a space). Query parameters: ``parameters``; the old
/// names of ``renamed`` are accepted for one release. Anything else is
/// `TokenStoreError.Code.misconfigured`.
struct SQLiteStoreURL: Equatable {
    /// A file path or `:memory:`.
    var path: String
    var busyTimeoutMilliseconds: Int?
    var maxConnections: Int?
    /// The old names this URL used, with their new names, for the caller to warn about.
    var renamedParameters: [Renamed] = []

    struct Renamed: Equatable {
        var old: String
        var new: String
    }

    /// The parameters and what they set.
    static let parameters: KeyValuePairs<String, String> = [
        "busy_timeout_ms": "milliseconds a call waits for another connection's lock (0 or more; default 5000)",
        "pool_max": "connections to the file (1 to 10000; default 4)",
    ]

    /// Old parameter names still accepted, and the names that replaced them.
    static let renamed = ["connections": "pool_max"]

    static func parse(_ url: String) throws(TokenStoreError) -> SQLiteStoreURL {
        let store = StoreURLRedaction.redact(url)
        func fail(_ message: String) -> TokenStoreError {
            TokenStoreError(
                .misconfigured, store: store, operation: "open",
                message: message + "; expected sqlite:///absolute/path.db, sqlite:relative/path.db or sqlite::memory:")
        }
        guard let colon = url.firstIndex(of: ":"), url[..<colon].lowercased() == "sqlite" else {
            throw fail("not a sqlite: URL")
        }
        var rest = Substring(url[url.index(after: colon)...])
        guard !rest.contains("#") else { throw fail("a fragment (#) is not allowed") }
        var query: Substring?
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var result = SQLiteStoreURL(path: "")
        if rest == ":memory:" {
            result.path = ":memory:"
        } else {
            var encodedPath = rest
            if rest.hasPrefix("//") {
                let authority = rest.dropFirst(2)
                let slash = authority.firstIndex(of: "/") ?? authority.endIndex
                let host = authority[..<slash]
                guard host.isEmpty || host.lowercased() == "localhost" else {
                    throw fail("a host ('\(host)') is not allowed: SQLite opens local files only")
                }
                encodedPath = authority[slash...]
            }
            guard let path = String(encodedPath).removingPercentEncoding else {
                throw fail("the path has an invalid percent escape")
            }
            guard !path.isEmpty, path != "/" else { throw fail("the URL names no database file") }
            guard !path.contains("\0") else { throw fail("the path contains a NUL byte") }
            guard !path.hasSuffix("/") else { throw fail("the path names a directory, not a database file") }
            result.path = path
        }
        var values: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard parameters.contains(where: { $0.key == name }) || renamed[name] != nil else {
                throw fail("unknown parameter '\(name)' (known: \(parameters.map(\.key).joined(separator: ", ")))")
            }
            values[name] = parts.count > 1 ? String(parts[1]) : ""
        }
        for (old, new) in renamed.sorted(by: { $0.key < $1.key }) where values[old] != nil {
            guard values[new] == nil else { throw fail("give \(new) only ('\(old)' is its old name)") }
            result.renamedParameters.append(Renamed(old: old, new: new))
        }
        if let value = values["busy_timeout_ms"] {
            guard let number = Int(value), number >= 0, number <= Int(Int32.max) else {
                throw fail("busy_timeout_ms must be a whole number of milliseconds, got '\(value)'")
            }
            result.busyTimeoutMilliseconds = number
        }
        // The shared check and message, under the name the URL used.
        result.maxConnections = try ConnectionLimits.count(
            values["connections"] != nil ? "connections" : "pool_max", in: values,
            range: ConnectionLimits.maxConnectionsRange, store: store)
        return result
    }
}
