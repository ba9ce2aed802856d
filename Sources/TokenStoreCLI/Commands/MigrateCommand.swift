import ArgumentParser
import Foundation
import Glibc
import TokenStoreKit

/// `tokenstore migrate --from URL --to URL`: copies tokens between two stores in cursor
/// pages and batches, resumable from a checkpoint, optionally verified by a digest walk.
///
/// The work is done by ``TokenMigration``; this command adds the checkpoint file, signal
/// handling, progress display and exit statuses (see ``MigrateExitCode`` and Docs/migrate.md).
public struct MigrateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy tokens from one store to another in cursor pages and batches.",
        discussion: """
            Access tokens are written only when newer than the destination's (unless --overwrite); \
            request tokens keep their expiry and expired ones are skipped, so running twice is safe. \
            A checkpoint is saved after each committed batch ($XDG_STATE_HOME/tokenstore/ or \
            ~/.local/state/tokenstore/, or --checkpoint FILE); after Ctrl-C, kill or a store error, \
            run the same command with --resume. Sealed secrets are copied as stored and checked \
            with --sealing-keys before each batch is written.

            \(MigrateExitCode.help)
            """)

    /// Which kinds of token to copy.
    public enum Only: String, ExpressibleByArgument, Sendable {
        case accessTokens = "access-tokens"
        case requestTokens = "request-tokens"
    }

    @Option(name: .customLong("from"), help: "The source store URL.")
    public var from: String

    @Option(name: .customLong("to"), help: "The destination store URL.")
    public var to: String

    @Option(name: .customLong("batch-size"), help: "Tokens per page and per write batch.")
    public var batchSize = 20_000

    @Option(name: .customLong("only"), help: "Copy only access-tokens or request-tokens.")
    public var only: Only?

    @Flag(name: .customLong("overwrite"), help: "Overwrite destination access tokens even when they are newer.")
    public var overwrite = false

    @Flag(
        name: .customLong("verify"),
        help: "After copying, compare counts and SHA-256 digests of both sides; exit 3 on a difference.")
    public var verify = false

    @Flag(name: .customLong("dry-run"), help: "Read and check everything; write nothing.")
    public var dryRun = false

    @Flag(name: .customLong("resume"), help: "Continue after the checkpoint of an interrupted run.")
    public var resume = false

    @Option(
        name: .customLong("checkpoint"),
        help: ArgumentHelp("The checkpoint file (default: one per run in $XDG_STATE_HOME/tokenstore/).", valueName: "FILE"))
    public var checkpoint: String?

    @Option(
        name: .customLong("sealing-keys"),
        help: ArgumentHelp(
            "A key file that opens sealed source secrets (else $\(SealingKeyRing.environmentVariable)).",
            valueName: "FILE"))
    public var sealingKeys: String?

    @Flag(name: .customLong("unseal"), help: "Write sealed secrets plain in the destination (needs the keys).")
    public var unseal = false

    @Flag(name: .customLong("seal"), help: "Seal every secret under the primary key on the way (needs the keys).")
    public var seal = false

    @Option(name: .customLong("progress-interval"), help: "Seconds between progress lines when stderr is not a terminal.")
    public var progressInterval = 5.0

    @Flag(name: .customLong("quiet"), help: "No progress output.")
    public var quiet = false

    public init() {}

    public func validate() throws {
        guard (1...100_000).contains(batchSize) else {
            throw ValidationError("--batch-size must be between 1 and 100000")
        }
        if seal && unseal { throw ValidationError("--seal and --unseal exclude each other") }
        if resume && dryRun { throw ValidationError("--dry-run writes nothing, so it has nothing to --resume") }
        guard progressInterval > 0 else { throw ValidationError("--progress-interval must be positive") }
    }

    public func run() async throws {
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
    public func execute(console: CLIConsole, terminal: MigrateTerminal = MigrateTerminal()) async throws {
        var keyOptions = StoreOptions()
        keyOptions.sealingKeys = sealingKeys
        let keys = try keyOptions.sealingKeyRing(environment: console.environment)
        if secretHandling != .verbatim, keys == nil {
            throw CLIFailure(
                "--\(secretHandling.rawValue) needs sealing keys: pass --sealing-keys FILE or set "
                    + SealingKeyRing.environmentVariable)
        }
        let source = try await Self.open(from)
        let destination: any TokenStore
        do {
            destination = try await Self.open(to)
        } catch {
            try? await source.close()
            throw error
        }
        var migration = TokenMigration(from: source, to: destination)
        migration.sourceName = from
        migration.destinationName = to
        migration.batchSize = batchSize
        migration.kinds = only.map { $0 == .accessTokens ? .accessTokens : .requestTokens } ?? .all
        migration.policy = overwrite ? .overwrite : .ifNewer
        migration.dryRun = dryRun
        migration.secrets = secretHandling
        migration.keys = keys
        do {
            try await run(migration, console: console, terminal: terminal)
        } catch {
            try? await source.close()
            try? await destination.close()
            throw error
        }
        try? await source.close()
        try? await destination.close()
    }

    private func run(_ migration: TokenMigration, console: CLIConsole, terminal: MigrateTerminal) async throws {
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
        if !dryRun { session.finish(console: console) }
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
        Self.printVerification(verification, accessTokens: only != .requestTokens, console: console)
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
        if dryRun {
            return "Would copy \(counts.accessRead) access token(s) and \(requestCopied) request token(s) "
                + "(\(counts.requestSkipped) expired) \(stores); dry run, nothing written"
        }
        let rate = summary.seconds > 0 ? Int((Double(summary.readThisRun) / summary.seconds).rounded()) : 0
        return "Copied \(counts.accessRead) access token(s) (\(counts.accessWritten) written, "
            + "\(counts.accessRead - counts.accessWritten) kept: same or newer in the destination) and "
            + "\(requestCopied) request token(s) (\(counts.requestSkipped) expired, skipped) \(stores) in "
            + String(format: "%.2f", summary.seconds) + " s (\(rate) tokens/s)"
    }

    static func printVerification(_ verification: MigrationVerification, accessTokens: Bool, console: CLIConsole) {
        let source = verification.source
        let destination = verification.destination
        if accessTokens {
            console.print(
                "Verify access tokens: source \(source.accessTokens) \(source.accessDigest), "
                    + "destination \(destination.accessTokens) \(destination.accessDigest)")
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

    private static func open(_ url: String) async throws -> any TokenStore {
        do {
            return try await StoreDrivers.open(url)
        } catch let error as TokenStoreError {
            throw CLIFailure(error.description)
        }
    }
}
