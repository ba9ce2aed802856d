import ArgumentParser
import Glibc
import TokenStoreFile
import TokenStoreKit
import TokenStoreMigration
import TokenStoreSealing

/// `tokenstore rekey [URL]`: re-seals every record under the primary sealing key,
/// resumable like `migrate`.
struct RekeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract: "Re-seal every token under the primary sealing key.",
        discussion: """
            Reads the store page by page and re-writes each access token not yet sealed under \
            the primary key (the first key of --sealing-keys or TOKENSTORE_SEALING_KEYS), keeping \
            its timestamps; OAuth 2.0 token sets are re-sealed one at a time under their refresh \
            lease by a compare-and-set on their version (one being refreshed by another worker \
            is left for the next run, never overwritten); request tokens are taken and saved again re-sealed with the same \
            expiry (unless --skip-request-tokens): a callback arriving for one in the instant \
            between take and save finds it missing. Then it counts the records still under \
            other keys (expect zero). A checkpoint is saved after each page; after Ctrl-C, kill \
            or a store error run the same command with --resume. With --allow-plaintext it \
            seals a plain store in place. Run it while no re-authorization is in flight: an \
            access token re-written meanwhile could be overwritten.

            Expired request tokens, which can no longer be used or re-sealed, are purged \
            (unless --skip-request-tokens). Then stores that keep old bytes of rewritten records \
            in their files are scrubbed, so no old secret survives on disk: a SQLite database \
            is vacuumed (this needs free disk space about its size) and its WAL truncated; for \
            PostgreSQL and Redis a note says how to compact them (VACUUM FULL, BGREWRITEAOF). \
            The store must exist: rekey never creates one.

            \(MigrateExitCode.rekeyHelp)
            """)

    @Argument(help: "The store URL (or use --store).")
    var url: String?

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Seal plain (unsealed) secrets too, instead of stopping at the first one.")
    var allowPlaintext = false

    @Option(help: "Records per page.")
    var pageSize = 500

    @Flag(help: "Leave request tokens as they are (they expire within minutes).")
    var skipRequestTokens = false

    @Flag(help: "Continue after the checkpoint of an interrupted run.")
    var resume = false

    @Option(help: ArgumentHelp("The checkpoint file (default: one per run in $XDG_STATE_HOME/tokenstore/).", valueName: "FILE"))
    var checkpoint: String?

    @Flag(help: "No progress output.")
    var quiet = false

    init() {}

    func run() async throws {
        let terminal = MigrateTerminal(isTerminal: isatty(STDERR_FILENO) == 1)
        let signals = MigrateSignals(control: terminal.control, console: .standard)
        defer { signals.cancel() }
        try await execute(console: .standard, terminal: terminal)
    }

    /// Re-seals the store and prints the report on `console`.
    ///
    /// - Throws: ``CLIFailure`` when no keys are configured, the store cannot be opened, or
    ///   a record does not open before anything was checkpointed (the message names it);
    ///   `ExitCode(4)` after an interruption or a later failure (resume with `--resume`).
    func execute(console: CLIConsole, terminal: MigrateTerminal = MigrateTerminal()) async throws {
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
            // A mistyped path is an error, not a new empty store "re-sealed" in 0 records.
            inner = try await StoreDrivers.open(location, options: TokenStoreOptions(createIfMissing: false))
        } catch let error as TokenStoreError {
            throw CLIFailure(error.description)
        }
        let store = SealedTokenStore(wrapping: inner, keys: keys, allowPlaintext: allowPlaintext)
        do {
            let report = try await reseal(store, location: location, console: console, terminal: terminal)
            console.print("\(store.displayName): primary key \(keys.primary.id): \(report)")
            try await cleanUp(inner, report: report, console: console)
            try? await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// Purges expired request tokens (never listed, so never re-sealed) and erases the old
    /// bytes of rewritten records where the store keeps them.
    ///
    /// - Throws: ``CLIFailure`` when the purge or the scrub fails (the re-seal itself is done).
    private func cleanUp(_ inner: any TokenStore, report: ResealReport, console: CLIConsole) async throws {
        do {
            if !skipRequestTokens {
                let purged = try await inner.purgeExpiredRequestTokens()
                if purged > 0 { console.print("Purged \(purged) expired request token(s), which could not be re-sealed") }
            }
            if let scrubbable = inner as? any ScrubbableTokenStore {
                try await scrubbable.scrub()
                console.print("Scrubbed \(inner.displayName): no old copy of a re-written secret is left in its files")
            } else if report.resealed + report.tokenSetResealed + report.requestResealed > 0, !(inner is FileTokenStore), !(inner is InMemoryTokenStore) {
                // A file store replaces each record file whole (the old one is unlinked);
                // a database server keeps old row versions or values of its own.
                console.printError(
                    "note: \(inner.displayName) may keep old copies of re-written secrets in freed storage until it "
                        + "compacts itself (PostgreSQL: VACUUM FULL on the token tables; Redis: BGREWRITEAOF and a new "
                        + "snapshot)")
            }
        } catch let error as TokenStoreError {
            throw CLIFailure("rekey: every record is re-sealed, but cleaning up failed: \(error.description)")
        }
    }

    private func reseal(
        _ store: SealedTokenStore, location: String, console: CLIConsole, terminal: MigrateTerminal
    ) async throws -> ResealReport {
        let initial = store.resealCheckpoint(storeName: location, includeRequestTokens: !skipRequestTokens)
        let session = MigrateCheckpointSession(
            file: try MigrateCheckpointLocation.file(for: initial, explicit: checkpoint, environment: console.environment))
        let resumeFrom = try session.start(initial: initial, resume: resume, console: console)
        let display = MigrateProgressDisplay(console: console, isTerminal: terminal.isTerminal, interval: 5, quiet: quiet)
        let report: ResealReport
        do {
            report = try await store.reseal(
                pageSize: pageSize, includeRequestTokens: !skipRequestTokens, storeName: location, resume: resumeFrom,
                control: terminal.control, checkpoint: session.handler, progress: display.update)
            display.finish()
        } catch {
            display.finish()
            throw session.failure("rekey: " + MigrateCommand.message(error), console: console)
        }
        if report.interrupted {
            console.print("\(store.displayName): primary key \(store.keys.primary.id): \(report)")
            throw session.interrupted(console: console)
        }
        session.finish(console: console)
        return report
    }
}
