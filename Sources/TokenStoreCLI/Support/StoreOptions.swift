import ArgumentParser
import TokenStoreKit
import TokenStoreSealing

/// `--store URL`, defaulting to the SQLite file in the user's data directory.
struct StoreOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "The token store URL: sqlite:///path/tokens.db, file:///dir, postgres://..., redis://...",
            discussion:
                "Default: sqlite://$XDG_DATA_HOME/tokenstore/tokens.db (or ~/.local/share/tokenstore/tokens.db)."))
    var store: String?

    @Option(
        name: .customLong("sealing-keys"),
        help: ArgumentHelp(
            "A key file (mode 0600): seal token secrets with AES-256-GCM.",
            discussion:
                "One 'id base64key' per line, first is primary; see `tokenstore keygen`. Without the flag, "
                + "$\(SealingKeyRing.environmentVariable)='id:base64key,...' seals too.",
            valueName: "FILE"))
    var sealingKeys: String?

    init() {}

    /// The sealing keys: the `--sealing-keys` file, else `TOKENSTORE_SEALING_KEYS`, else `nil`.
    ///
    /// - Throws: ``CLIFailure`` with the key error's message (never key material).
    func sealingKeyRing(environment: [String: String]) throws -> SealingKeyRing? {
        do {
            if let sealingKeys, !sealingKeys.isEmpty { return try SealingKeyRing.load(keyFile: sealingKeys) }
            return try SealingKeyRing.fromEnvironment(environment)
        } catch let error as SealingKeyError {
            throw CLIFailure("sealing keys: \(error)")
        }
    }

    /// The store URL to open: the flag, or the default user store (its directory created 0700).
    ///
    /// - Throws: ``CLIFailure`` when no data directory can be found or made.
    func url(environment: [String: String]) throws -> String {
        if let store, !store.isEmpty { return store }
        return try StoreLocation.defaultUserStoreURL(environment: environment)
    }

    /// Opens the store, every driver registered, sealed when sealing keys are configured.
    ///
    /// - Throws: ``CLIFailure`` with the store or key error's message.
    func open(environment: [String: String]) async throws -> any TokenStore {
        let url = try url(environment: environment)
        let keys = try sealingKeyRing(environment: environment)
        do {
            let store = try await StoreDrivers.open(url)
            guard let keys else { return store }
            return SealedTokenStore(wrapping: store, keys: keys)
        } catch let error as TokenStoreError {
            throw CLIFailure(error.description)
        }
    }

    /// Opens the store, runs `body` with it and closes it, also when `body` throws.
    ///
    /// - Throws: ``CLIFailure`` for open failures, and whatever `body` throws.
    func withStore<Result: Sendable>(
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
