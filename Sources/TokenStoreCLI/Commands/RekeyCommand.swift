import ArgumentParser
import TokenStoreKit

/// `tokenstore rekey [URL]`: re-seals every access token under the primary sealing key.
public struct RekeyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract: "Re-seal every access token under the primary sealing key.",
        discussion: """
            Reads the store page by page and re-writes each access token not yet sealed under \
            the primary key (the first key of --sealing-keys or TOKENSTORE_SEALING_KEYS), keeping \
            its timestamps; then counts the records still under other keys. Running it again \
            skips what is done. With --allow-plaintext it also seals a plain store in place. \
            Request tokens are left alone: they expire within minutes. Run it while no \
            re-authorization is in flight: a token re-written meanwhile could be overwritten.
            """)

    @Argument(help: "The store URL (or use --store).")
    var url: String?

    @OptionGroup public var storeOptions: StoreOptions

    @Flag(help: "Seal plain (unsealed) secrets too, instead of stopping at the first one.")
    var allowPlaintext = false

    @Option(help: "Records per page.")
    var pageSize = 500

    public init() {}

    public func run() async throws {
        try await execute(console: .standard)
    }

    /// Re-seals the store and prints the report on `console`.
    ///
    /// - Throws: ``CLIFailure`` when no keys are configured, the store cannot be opened, or
    ///   a record does not open (the message names it).
    public func execute(console: CLIConsole) async throws {
        guard pageSize >= 1 else { throw CLIFailure("rekey: --page-size must be at least 1") }
        var options = storeOptions
        if let url { options.store = url }
        guard let keys = try options.sealingKeyRing(environment: console.environment) else {
            throw CLIFailure(
                "rekey: no sealing keys; pass --sealing-keys FILE or set \(SealingKeyRing.environmentVariable)")
        }
        let location = try options.url(environment: console.environment)
        let inner: any TokenStore
        do {
            inner = try await StoreDrivers.open(location)
        } catch let error as TokenStoreError {
            throw CLIFailure(error.description)
        }
        let store = SealedTokenStore(wrapping: inner, keys: keys, allowPlaintext: allowPlaintext)
        do {
            let report = try await store.resealAccessTokens(pageSize: pageSize)
            try? await store.close()
            console.print("\(store.displayName): primary key \(keys.primary.id): \(report)")
        } catch let error as TokenStoreError {
            try? await store.close()
            throw CLIFailure("rekey: \(error.description)")
        } catch {
            try? await store.close()
            throw error
        }
    }
}
