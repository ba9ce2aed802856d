import Foundation
import TokenStoreKit

/// A parsed `sqlite:` store URL.
///
/// Accepted forms:
/// - `sqlite:///absolute/path/tokens.db` (also `sqlite://localhost/absolute/path`)
/// - `sqlite:relative/path/tokens.db` and `sqlite:/absolute/path` (a path without `//`,
///   relative paths resolve against the current directory)
/// - `sqlite::memory:` (a private in-memory database)
///
/// Paths are percent-decoded (`%20` is a space). Query parameters: `busy_timeout_ms`
/// (0 or more) and `connections` (1 to 64). Anything else is
/// `TokenStoreError.Code.misconfigured`.
struct SQLiteStoreURL: Equatable {
    /// A file path or `:memory:`.
    var path: String
    var busyTimeoutMilliseconds: Int?
    var connections: Int?

    static let parameters = ["busy_timeout_ms", "connections"]

    static func parse(_ url: String) throws -> SQLiteStoreURL {
        func fail(_ message: String) -> TokenStoreError {
            TokenStoreError(
                .misconfigured, store: StoreURLRedaction.redact(url), operation: "open",
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
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : ""
            switch name {
            case "busy_timeout_ms":
                guard let number = Int(value), number >= 0, number <= Int(Int32.max) else {
                    throw fail("busy_timeout_ms must be a whole number of milliseconds, got '\(value)'")
                }
                result.busyTimeoutMilliseconds = number
            case "connections":
                guard let number = Int(value), (1...64).contains(number) else {
                    throw fail("connections must be between 1 and 64, got '\(value)'")
                }
                result.connections = number
            default:
                throw fail("unknown parameter '\(name)' (known: \(parameters.joined(separator: ", ")))")
            }
        }
        return result
    }
}

extension SQLiteTokenStore {
    /// The driver for `sqlite:` URLs; register it with
    /// `TokenStoreRegistry.shared.register(SQLiteTokenStore.driver)`.
    ///
    /// URLs: `sqlite:///absolute/path/tokens.db`, `sqlite:relative/path.db`,
    /// `sqlite::memory:`, with optional `?busy_timeout_ms=5000&connections=4`. A malformed
    /// URL throws `TokenStoreError.Code.misconfigured` naming it.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(
            schemes: ["sqlite"],
            summary: "SQLite database file: sqlite:///path/tokens.db, sqlite:relative.db, sqlite::memory:"
        ) { url, options in
            let parsed = try SQLiteStoreURL.parse(url)
            var configuration = Configuration(
                clock: options.clock, logger: options.logger, migrateSchemaOnOpen: options.migrateSchemaOnOpen)
            configuration.createIfMissing = options.createIfMissing
            if let milliseconds = parsed.busyTimeoutMilliseconds {
                configuration.busyTimeout = .milliseconds(milliseconds)
            }
            if let connections = parsed.connections { configuration.connections = connections }
            return try await SQLiteTokenStore(path: parsed.path, configuration: configuration)
        }
    }
}
