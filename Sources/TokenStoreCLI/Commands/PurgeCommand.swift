import ArgumentParser
import TokenStoreKit

/// `tokenstore purge URL`: removes the store's expired request tokens and prints how many.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove expired request tokens from a store and print how many were removed.")

    @Argument(help: "The token store URL: sqlite:///path/tokens.db, file:///dir, postgres://..., redis://..., memory:NAME")
    var url: String

    init() {}

    func run() async throws {
        try await execute(console: .standard)
    }

    /// Purges the store at ``url`` and reports on `console`.
    ///
    /// - Throws: ``CLIFailure`` when the store cannot be opened or purged.
    func execute(console: CLIConsole) async throws {
        let redacted = StoreURLRedaction.redact(url)
        let store: any TokenStore
        do {
            // A typo in the URL is an error, never a new empty store.
            store = try await StoreDrivers.open(url, options: TokenStoreOptions(createIfMissing: false))
        } catch let error as TokenStoreError {
            throw CLIFailure(error.description)
        }
        do {
            let removed = try await store.purgeExpiredRequestTokens()
            try? await store.close()
            console.print("Removed \(removed) expired request token\(removed == 1 ? "" : "s") from \(redacted)")
        } catch let error as TokenStoreError {
            try? await store.close()
            throw CLIFailure(error.description)
        } catch {
            try? await store.close()
            throw error
        }
    }
}
