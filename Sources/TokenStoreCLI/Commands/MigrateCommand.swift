import ArgumentParser
import Foundation
import Glibc
import TokenStoreKit
import TokenStoreMigration
import TokenStoreSealing

/// `tokenstore migrate --from URL --to URL`: copies tokens between two stores in cursor
/// pages and batches, resumable from a checkpoint, optionally verified by a digest walk.
///
/// The work is done by ``TokenMigration``; this command adds the checkpoint file, signal
/// handling, progress display and exit statuses (see ``MigrateExitCode`` and Docs/migrate.md).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy tokens from one store to another in cursor pages and batches.",
        discussion: """
            Access tokens, then OAuth 2.0 token sets, then request tokens. Access tokens and token \
            sets are written only when newer than the destination's (unless --overwrite; a token \
            set's version is the destination's own, counting from 1); request tokens keep their expiry and expired ones are skipped, so running twice is safe. \
            A checkpoint is saved after each committed batch ($XDG_STATE_HOME/tokenstore/ or \
            ~/.local/state/tokenstore/, or --checkpoint FILE); after Ctrl-C, kill or a store error, \
            run the same command with --resume. Sealed secrets are copied as stored and checked \
            with --sealing-keys before each batch is written.

            The source must exist and is only read: it is never created, and its schema is never \
            migrated (run `tokenstore schema upgrade` on it first if it is older). The destination \
            is opened, and created if missing, only when the first batch is written, so a run that \
            fails before that (a sealing key that does not open the first page, --resume without a \
            checkpoint) leaves none behind; a dry run never opens it. --to naming the same store as \
            --from is a usage error.

            \(MigrateExitCode.help)
            """)

    /// Which kinds of token to copy.
    enum Only: String, ExpressibleByArgument, Sendable {
        case accessTokens = "access-tokens"
        case tokenSets = "token-sets"
        case requestTokens = "request-tokens"

        /// The migration's kinds.
        var kinds: TokenMigration.Kinds {
            switch self {
            case .accessTokens: .accessTokens
            case .tokenSets: .tokenSets
            case .requestTokens: .requestTokens
            }
        }
    }

    @Option(name: .customLong("from"), help: "The source store URL.")
    var from: String

    @Option(name: .customLong("to"), help: "The destination store URL.")
    var to: String

    @Option(name: .customLong("batch-size"), help: "Tokens per page and per write batch.")
    var batchSize = 20_000

    @Option(name: .customLong("only"), help: "Copy only access-tokens, token-sets or request-tokens.")
    var only: Only?

    @Flag(name: .customLong("overwrite"), help: "Overwrite destination access tokens and token sets even when they are newer.")
    var overwrite = false

    @Flag(
        name: .customLong("verify"),
        help: "After copying, compare counts and SHA-256 digests of both sides; exit 3 on a difference.")
    var verify = false

    @Flag(name: .customLong("dry-run"), help: "Read and check the source; write nothing (the destination is not opened).")
    var dryRun = false

    @Flag(name: .customLong("resume"), help: "Continue after the checkpoint of an interrupted run.")
    var resume = false

    @Option(
        name: .customLong("checkpoint"),
        help: ArgumentHelp("The checkpoint file (default: one per run in $XDG_STATE_HOME/tokenstore/).", valueName: "FILE"))
    var checkpoint: String?

    @Option(
        name: .customLong("sealing-keys"),
        help: ArgumentHelp(
            "A key file that opens sealed source secrets (else $\(SealingKeyRing.environmentVariable)).",
            valueName: "FILE"))
    var sealingKeys: String?

    @Flag(name: .customLong("unseal"), help: "Write sealed secrets plain in the destination (needs the keys).")
    var unseal = false

    @Flag(name: .customLong("seal"), help: "Seal every secret under the primary key on the way (needs the keys).")
    var seal = false

    @Option(name: .customLong("progress-interval"), help: "Seconds between progress lines when stderr is not a terminal.")
    var progressInterval = 5.0

    @Flag(name: .customLong("quiet"), help: "No progress output.")
    var quiet = false

    init() {}

    func validate() throws {
        guard (1...100_000).contains(batchSize) else {
            throw ValidationError("--batch-size must be between 1 and 100000")
        }
        if seal && unseal { throw ValidationError("--seal and --unseal exclude each other") }
        if resume && dryRun { throw ValidationError("--dry-run writes nothing, so it has nothing to --resume") }
        guard progressInterval > 0 else { throw ValidationError("--progress-interval must be positive") }
        if StoreIdentity.same(from, to) {
            throw ValidationError(
                "--from and --to name the same store (\(StoreURLRedaction.redact(from))); "
                    + "a store cannot be migrated onto itself")
        }
    }

    func run() async throws {
        let terminal = MigrateTerminal(isTerminal: isatty(STDERR_FILENO) == 1)
        let signals = MigrateSignals(control: terminal.control, console: .standard)
        defer { signals.cancel() }
        try await execute(console: .standard, terminal: terminal)
    }

    /// The way secrets are handled, from the flags.
    var secretHandling: TokenMigration.SecretHandling { seal ? .seal : unseal ? .unseal : .verbatim }

    /// Runs the migration: summary on `console`'s stdout, progress and problems on its stderr.
    ///
    /// - Parameter terminal: whether stderr is a terminal and the control signals stop.
    /// - Throws: ``CLIFailure`` (exit 1) when nothing can be resumed; `ExitCode(4)` after an
    ///   interruption or a mid-run failure with a checkpoint saved; `ExitCode(3)` when
    ///   `--verify` finds a difference.
    func execute(console: CLIConsole, terminal: MigrateTerminal = MigrateTerminal()) async throws {
        var keyOptions = StoreOptions()
        keyOptions.sealingKeys = sealingKeys
        let keys = try keyOptions.sealingKeyRing(environment: console.environment)
        if secretHandling != .verbatim, keys == nil {
            throw CLIFailure(
                "--\(secretHandling.rawValue) needs sealing keys: pass --sealing-keys FILE or set "
                    + SealingKeyRing.environmentVariable)
        }
        let source = try await Self.openSource(from)
        let to = self.to
        let destination = DeferredTokenStore(name: to) { try await StoreDrivers.open(to) }
        var migration = TokenMigration(from: source, to: destination)
        migration.sourceName = from
        migration.destinationName = to
        migration.batchSize = batchSize
        migration.kinds = only?.kinds ?? .all
        migration.policy = overwrite ? .overwrite : .ifNewer
        migration.dryRun = dryRun
        migration.secrets = secretHandling
        migration.keys = keys
        do {
            try await run(migration, destination: destination, console: console, terminal: terminal)
        } catch {
            try? await source.close()
            try? await destination.close()
            throw error
        }
        try? await source.close()
        try? await destination.close()
    }

    private func run(
        _ migration: TokenMigration, destination: DeferredTokenStore, console: CLIConsole, terminal: MigrateTerminal
    ) async throws {
        let session = MigrateCheckpointSession(
            file: try MigrateCheckpointLocation.file(
                for: migration.initialCheckpoint, explicit: checkpoint, environment: console.environment))
        let resumeFrom = dryRun ? nil : try session.start(initial: migration.initialCheckpoint, resume: resume, console: console)
        let display = MigrateProgressDisplay(
            console: console, isTerminal: terminal.isTerminal, interval: progressInterval, quiet: quiet)
        let summary: MigrationSummary
        do {
            summary = try await migration.run(
                resume: resumeFrom, control: terminal.control,
                checkpoint: session.handler, progress: display.update)
            display.finish()
        } catch {
            display.finish()
            throw session.failure(Self.message(error), console: console)
        }
        if summary.interrupted { throw session.interrupted(console: console) }
        if !dryRun {
            // Nothing was written (an empty source): the destination still exists afterwards,
            // as after any copy, and a wrong --to fails here rather than pass unnoticed.
            if !destination.wasOpened {
                do {
                    _ = try await destination.store()
                } catch {
                    throw CLIFailure(Self.message(error))
                }
            }
            session.finish(console: console)
        }
        console.print(Self.summaryLine(summary, dryRun: dryRun, from: from, to: to))
        if summary.resumedAfter > 0 {
            console.print("Resumed after \(summary.resumedAfter) token(s) from the checkpoint; this run read \(summary.readThisRun)")
        }
        guard verify, !dryRun else { return }
        let verification: MigrationVerification
        do {
            verification = try await migration.verify()
        } catch {
            throw CLIFailure("verify: " + Self.message(error))
        }
        Self.printVerification(verification, kinds: migration.kinds, console: console)
        guard verification.matches else {
            console.printError(
                "Verification failed: \(verification.differenceCount) record(s) differ; first: "
                    + verification.differences.map(\.description).joined(separator: "; "))
            throw ExitCode(MigrateExitCode.verificationMismatch)
        }
        console.print("Verified: source and destination hold the same tokens")
    }

    static func summaryLine(_ summary: MigrationSummary, dryRun: Bool, from: String, to: String) -> String {
        let counts = summary.counts
        let requestCopied = counts.requestRead - counts.requestSkipped
        let stores = "from \(StoreURLRedaction.redact(from)) to \(StoreURLRedaction.redact(to))"
        // Stores never list expired request tokens, so the only ones skipped are those that
        // expired between the listing and the write: mentioned only when there are some.
        let expired = counts.requestSkipped > 0 ? " (\(counts.requestSkipped) expired during the copy, skipped)" : ""
        if dryRun {
            return "Would copy \(counts.accessRead) access token(s), \(counts.tokenSetRead) token set(s) and "
                + "\(requestCopied) request token(s)\(expired) \(stores); dry run, nothing written"
        }
        let rate = summary.seconds > 0 ? Int((Double(summary.readThisRun) / summary.seconds).rounded()) : 0
        return "Copied \(counts.accessRead) access token(s) (\(counts.accessWritten) written, "
            + "\(counts.accessRead - counts.accessWritten) kept: same or newer in the destination), "
            + "\(counts.tokenSetRead) token set(s) (\(counts.tokenSetWritten) written, "
            + "\(counts.tokenSetRead - counts.tokenSetWritten) kept) and "
            + "\(requestCopied) request token(s)\(expired) \(stores) in "
            + String(format: "%.2f", summary.seconds) + " s (\(rate) tokens/s)"
    }

    static func printVerification(_ verification: MigrationVerification, kinds: TokenMigration.Kinds, console: CLIConsole) {
        let source = verification.source
        let destination = verification.destination
        if kinds == .all || kinds == .accessTokens {
            console.print(
                "Verify access tokens: source \(source.accessTokens) \(source.accessDigest), "
                    + "destination \(destination.accessTokens) \(destination.accessDigest)")
        }
        if let count = source.tokenSets, let digest = source.tokenSetDigest,
           let otherCount = destination.tokenSets, let otherDigest = destination.tokenSetDigest
        {
            console.print("Verify token sets: source \(count) \(digest), destination \(otherCount) \(otherDigest)")
        }
        if let count = source.requestTokens, let digest = source.requestDigest,
           let otherCount = destination.requestTokens, let otherDigest = destination.requestDigest
        {
            console.print("Verify request tokens: source \(count) \(digest), destination \(otherCount) \(otherDigest)")
        }
    }

    static func message(_ error: any Error) -> String {
        switch error {
        case let error as TokenStoreError: return error.description
        case let error as CLIFailure: return error.message
        case let error as MigrationCheckpointError: return error.description
        default: return String(describing: error)
        }
    }

    /// Opens the source as it is: never created, its schema never migrated.
    ///
    /// - Throws: ``CLIFailure`` when it does not exist, holds no token store, or has a
    ///   schema this build cannot read without upgrading it.
    static func openSource(_ url: String) async throws -> any TokenStore {
        let store: any TokenStore
        do {
            store = try await StoreDrivers.open(url, options: TokenStoreOptions(migrateSchemaOnOpen: false, createIfMissing: false))
        } catch let error as TokenStoreError {
            throw CLIFailure("the source (--from) cannot be read: " + error.description)
        }
        guard let managed = store as? any SchemaManagedTokenStore else { return store }
        do {
            let status = try await managed.schemaStatus()
            if status.currentVersion == 0 {
                throw CLIFailure(
                    "the source (--from) \(store.displayName) holds no token store (no schema); check the URL")
            }
            if !status.pending.isEmpty {
                throw CLIFailure(
                    "the source (--from) \(store.displayName) has schema version \(status.currentVersion), this build "
                        + "reads version \(status.knownVersion); migrate never changes its source: run "
                        + "`tokenstore schema upgrade` on it first")
            }
        } catch {
            try? await store.close()
            if let error = error as? TokenStoreError { throw CLIFailure(error.description) }
            throw error
        }
        return store
    }
}
