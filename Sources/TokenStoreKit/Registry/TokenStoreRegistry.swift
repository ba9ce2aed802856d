import Synchronization

/// Maps URL schemes to drivers.
///
/// ``shared`` knows `memory:`; each driver module (the file store's `TokenStoreFile`
/// included) adds its own with one call:
///
/// ```swift
/// TokenStoreRegistry.shared.register(SQLiteTokenStore.driver)
/// let store = try await TokenStoreRegistry.shared.open("sqlite:///var/lib/app/tokens.db")
/// ```
public final class TokenStoreRegistry: Sendable {
    private let drivers: Mutex<[String: TokenStoreDriver]>

    /// The process-wide registry, with the built-in `memory` driver.
    public static let shared = TokenStoreRegistry(drivers: [InMemoryTokenStore.driver])

    /// Creates a registry holding `drivers`.
    public init(drivers: [TokenStoreDriver] = []) {
        var table: [String: TokenStoreDriver] = [:]
        for driver in drivers {
            for scheme in driver.schemes { table[scheme] = driver }
        }
        self.drivers = Mutex(table)
    }

    /// Registers `driver` for its schemes, replacing any driver registered for them before.
    public func register(_ driver: TokenStoreDriver) {
        drivers.withLock { table in
            for scheme in driver.schemes { table[scheme] = driver }
        }
    }

    /// The registered schemes, sorted.
    public var schemes: [String] {
        drivers.withLock { $0.keys.sorted() }
    }

    /// The driver registered for `scheme`, if any.
    public func driver(forScheme scheme: String) -> TokenStoreDriver? {
        drivers.withLock { $0[scheme.lowercased()] }
    }

    /// Opens the store a URL names, e.g. `sqlite:///var/lib/app/tokens.db`, `memory:`.
    ///
    /// - Throws: ``TokenStoreError`` with ``TokenStoreError/Code/unknownScheme`` listing the
    ///   registered schemes, ``TokenStoreError/Code/misconfigured`` for a URL without a
    ///   scheme, or whatever the driver throws.
    public func open(_ url: String, options: TokenStoreOptions = TokenStoreOptions()) async throws -> any TokenStore {
        guard let scheme = Self.scheme(of: url) else {
            throw TokenStoreError(
                .misconfigured, store: StoreURLRedaction.redact(url), operation: "open",
                message: "a store URL starts with a scheme, e.g. sqlite:///path/tokens.db; registered schemes: "
                    + schemes.joined(separator: ", "))
        }
        guard let driver = driver(forScheme: scheme) else {
            throw TokenStoreError(
                .unknownScheme, store: StoreURLRedaction.redact(url), operation: "open",
                message: "no driver for scheme '\(scheme)'; registered schemes: " + schemes.joined(separator: ", ")
                    + " (a driver module registers its scheme, e.g. TokenStoreRegistry.shared.register(SQLiteTokenStore.driver))")
        }
        return try await driver.open(url, options)
    }

    /// The scheme of `url` (the letters before the first `:`), lowercased, if it has one.
    static func scheme(of url: String) -> String? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let scheme = url[..<colon]
        guard let first = scheme.first, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") })
        else { return nil }
        return scheme.lowercased()
    }
}
