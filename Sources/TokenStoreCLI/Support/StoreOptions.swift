import ArgumentParser
import TokenStoreKit

/// `--store URL`, defaulting to the SQLite file in the user's data directory.
public struct StoreOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "The token store URL: sqlite:///path/tokens.db, file:///dir, postgres://..., redis://...",
            discussion:
                "Default: sqlite://$XDG_DATA_HOME/tokenstore/tokens.db (or ~/.local/share/tokenstore/tokens.db)."))
    public var store: String?

    public init() {}

    /// The store URL to open: the flag, or the default user store (its directory created 0700).
    ///
    /// - Throws: ``CLIFailure`` when no data directory can be found or made.
    public func url(environment: [String: String]) throws -> String {
        if let store, !store.isEmpty { return store }
        return try StoreLocation.defaultUserStoreURL(environment: environment)
    }

    /// Opens the store, every driver registered.
    ///
    /// - Throws: ``CLIFailure`` with the store error's message.
    public func open(environment: [String: String]) async throws -> any TokenStore {
        let url = try url(environment: environment)
        do {
            return try await StoreDrivers.open(url)
        } catch let error as TokenStoreError {
            throw CLIFailure(error.description)
        }
    }

    /// Opens the store, runs `body` with it and closes it, also when `body` throws.
    ///
    /// - Throws: ``CLIFailure`` for open failures, and whatever `body` throws.
    public func withStore<Result: Sendable>(
        environment: [String: String], _ body: (any TokenStore) async throws -> Result
    ) async throws -> Result {
        let store = try await open(environment: environment)
        do {
            let result = try await body(store)
            try? await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}
