import ArgumentParser
import TokenStoreKit

/// The store a `schema` subcommand works on: a positional URL or `--store URL`.
struct SchemaStoreArguments: ParsableArguments, Sendable {
    @Argument(help: "The token store URL: sqlite:///path/tokens.db, postgres://..., file:///dir, redis://..., memory:NAME")
    var url: String?

    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "The token store URL, as an option (instead of the argument).",
            discussion: "Default: sqlite://$XDG_DATA_HOME/tokenstore/tokens.db (or ~/.local/share/tokenstore/tokens.db)."))
    var store: String?

    init() {}

    func validate() throws {
        if let url, let store, url != store {
            throw ValidationError("give the store URL once: as the argument or as --store, not both")
        }
    }

    /// The URL to open: the argument, `--store`, or the default user store.
    ///
    /// - Throws: ``CLIFailure`` when no default data directory can be found.
    func resolvedURL(environment: [String: String]) throws -> String {
        if let url, !url.isEmpty { return url }
        if let store, !store.isEmpty { return store }
        return try StoreLocation.defaultUserStoreURL(environment: environment)
    }

    /// Opens the store without migrating it, runs `body` and closes the store.
    ///
    /// - Throws: ``CLIFailure`` with the store's error message.
    func withUnmigratedStore<Result: Sendable>(
        environment: [String: String], _ body: (any TokenStore, String) async throws -> Result
    ) async throws -> Result {
        let url = try resolvedURL(environment: environment)
        let redacted = StoreURLRedaction.redact(url)
        return try await CLIErrors.reporting {
            let store = try await StoreDrivers.open(url, options: TokenStoreOptions(migrateSchemaOnOpen: false))
            do {
                let result = try await body(store, redacted)
                try? await store.close()
                return result
            } catch {
                try? await store.close()
                throw error
            }
        }
    }
}
