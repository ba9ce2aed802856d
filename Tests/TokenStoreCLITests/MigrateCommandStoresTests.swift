import ArgumentParser
import Foundation
import Testing
import TokenStoreKit
import TokenStoreMigration

@testable import TokenStoreCLI

/// `migrate` run in-process through the command's `execute`: pairs with `memory:NAME`
/// (memory lives in one process only), dry run, request token expiry, checkpoints.
@Suite(.inProcessTimeLimit) struct MigrateCommandStoresTests {
    typealias Kind = MigrateFixture.Kind

    /// Runs `tokenstore migrate ARGS` in-process; the console and the error, if any.
    static func migrate(
        _ arguments: [String], environment: [String: String], terminal: MigrateTerminal = MigrateTerminal()
    ) async throws -> (CapturedConsole, (any Error)?) {
        let captured = CapturedConsole(environment: environment)
        let command = try #require(try TokenStoreCommand.parseAsRoot(["migrate"] + arguments) as? MigrateCommand)
        do {
            try await command.execute(console: captured.console, terminal: terminal)
            return (captured, nil)
        } catch {
            return (captured, error)
        }
    }

    /// memory -> KIND -> memory, both verified.
    static func roundTripThroughMemory(_ kind: Kind) async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-memory")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["XDG_STATE_HOME": directory + "/state"]
        let memory = try MigrateFixture.url(.memory, in: directory, name: "m1")
        let middle = try MigrateFixture.url(kind, in: directory, name: "middle")
        let back = try MigrateFixture.url(.memory, in: directory, name: "m2")
        try await MigrateFixture.fill(memory, access: 75, request: 4)
        for (from, to) in [(memory, middle), (middle, back)] {
            let (console, error) = try await Self.migrate(
                ["--from", from, "--to", to, "--verify", "--batch-size", "16"], environment: environment)
            #expect(error == nil, "\(console.error)")
            #expect(console.output.contains("Copied 75 access token(s)") && console.output.contains("Verified"))
        }
        let original = try await StoreDrivers.open(memory)
        let copy = try await StoreDrivers.open(back)
        #expect(try await original.listAccessTokens(after: nil, limit: 200).tokens
            == (try await copy.listAccessTokens(after: nil, limit: 200).tokens))
        #expect(try await original.listRequestTokens(after: nil, limit: 200).tokens
            == (try await copy.listRequestTokens(after: nil, limit: 200).tokens))
    }

    @Test(arguments: MigrateFixture.Kind.local)
    func memoryPairsWithLocalStores(kind: Kind) async throws {
        try await Self.roundTripThroughMemory(kind)
    }

    @Test(.enabled(if: MigrateFixture.serversAvailable), arguments: MigrateFixture.Kind.servers)
    func memoryPairsWithServers(kind: Kind) async throws {
        try await Self.roundTripThroughMemory(kind)
    }

    @Test func dryRunWritesNothingAndRequestTokensKeepTheirExpiry() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-ttl")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["XDG_STATE_HOME": directory + "/state"]
        let from = "sqlite://\(directory)/source.db"
        let to = "file://\(directory)/destination"
        try await MigrateFixture.fill(from, access: 5, request: 6)

        let (dry, dryError) = try await Self.migrate(["--from", from, "--to", to, "--dry-run", "--verify"], environment: environment)
        #expect(dryError == nil)
        #expect(dry.output.contains("Would copy 5 access token(s), 0 token set(s) and 6 request token(s)"))
        #expect(!dry.output.contains("Verify"))
        #expect(try await MigrateFixture.counts(to) == TokenCounts(requestTokens: 0, accessTokens: 0))
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/state/tokenstore")) ?? []
        #expect(leftovers.isEmpty)

        let (copied, error) = try await Self.migrate(
            ["--from", from, "--to", to, "--only", "request-tokens", "--verify"], environment: environment)
        #expect(error == nil)
        #expect(copied.output.contains("Verify request tokens: source 6 ") && !copied.output.contains("Verify access tokens"))
        #expect(copied.output.contains("Verified"))
        #expect(copied.output.contains("Copied 0 access token(s)") && copied.output.contains("and 6 request token(s)"))
        let source = try await StoreDrivers.open(from)
        let destination = try await StoreDrivers.open(to)
        let original = try await source.listRequestTokens(after: nil, limit: 10).tokens
        let moved = try await destination.listRequestTokens(after: nil, limit: 10).tokens
        #expect(moved.map(\.expiresAt) == original.map(\.expiresAt))
        #expect(moved == original)
        #expect(try await destination.counts().accessTokens == 0)
        try await source.close()
        try await destination.close()
    }

    /// Stopped after the first batch (as SIGINT does): exit 4 with the checkpoint in the
    /// default location; a plain rerun notes it; `--resume` finishes and deletes it.
    @Test func interruptedRunLeavesACheckpointInTheStateDirectoryAndResumes() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-stop")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["XDG_STATE_HOME": directory + "/state"]
        let from = "sqlite://\(directory)/source.db"
        let to = "sqlite://\(directory)/destination.db"
        try await MigrateFixture.fill(from, access: 30, request: 2)
        let arguments = ["--from", from, "--to", to, "--batch-size", "7"]

        let control = MigrationControl()
        control.requestStop()
        let (stopped, error) = try await Self.migrate(
            arguments, environment: environment, terminal: MigrateTerminal(control: control))
        #expect((error as? ExitCode) == ExitCode(MigrateExitCode.interrupted))
        #expect(stopped.error.contains("interrupted after 7 token(s); continue with --resume"))
        let stateDirectory = directory + "/state/tokenstore"
        let files = try FileManager.default.contentsOfDirectory(atPath: stateDirectory)
        #expect(files.count == 1 && files[0].hasPrefix("migrate-"))
        let mode = try FileManager.default.attributesOfItem(atPath: stateDirectory + "/" + files[0])[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try await MigrateFixture.counts(to).accessTokens == 7)

        let stoppedAgain = MigrationControl()
        stoppedAgain.requestStop()
        let (noted, _) = try await Self.migrate(
            arguments, environment: environment, terminal: MigrateTerminal(control: stoppedAgain))
        #expect(noted.error.contains("a checkpoint of an earlier run (7 token(s)"))

        let (resumed, resumeError) = try await Self.migrate(arguments + ["--resume", "--verify"], environment: environment)
        #expect(resumeError == nil, "\(resumed.error)")
        #expect(resumed.output.contains("Copied 30 access token(s)"))
        #expect(resumed.output.contains("Resumed after 7 token(s) from the checkpoint; this run read 25"))
        #expect(resumed.output.contains("Verified"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: stateDirectory).isEmpty)
    }

    /// A store that goes away mid-run (a registered third-party driver): the driver's
    /// error, the checkpoint kept, exit 4; `--resume` against the recovered store finishes.
    @Test func aFailingDestinationKeepsTheCheckpointAndExitsFour() async throws {
        TokenStoreRegistry.shared.register(MigrateFlakyStore.driver)
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-fail")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["XDG_STATE_HOME": directory + "/state"]
        let from = "sqlite://\(directory)/source.db"
        let name = UUID().uuidString
        try await MigrateFixture.fill(from, access: 20, request: 3)
        let checkpoint = directory + "/checkpoint.json"
        let arguments = ["--from", from, "--batch-size", "5", "--checkpoint", checkpoint]

        let (failed, error) = try await Self.migrate(
            arguments + ["--to", "flaky:\(name)?fail_after=2"], environment: environment)
        #expect((error as? ExitCode) == ExitCode(MigrateExitCode.interrupted))
        #expect(failed.error.contains("Error: ") && failed.error.contains("the server went away"))
        #expect(failed.error.contains("failed after 10 token(s)") && failed.error.contains("continue with --resume"))
        #expect(try MigrationCheckpointFile(path: checkpoint).load()?.counts.read == 10)

        // The first batch failing leaves nothing to resume: exit 1.
        let (_, early) = try await Self.migrate(
            ["--from", from, "--batch-size", "5", "--to", "flaky:other-\(name)?fail_after=0",
             "--checkpoint", directory + "/other.json"], environment: environment)
        #expect(early is CLIFailure)

        // A fresh handle (the server is back) counts batches from zero: the two left succeed.
        let (resumed, resumeError) = try await Self.migrate(
            ["--from", from, "--batch-size", "5", "--checkpoint", checkpoint, "--resume", "--verify",
             "--to", "flaky:\(name)?fail_after=2"], environment: environment)
        #expect(resumeError == nil, "\(resumed.error)")
        #expect(resumed.output.contains("Resumed after 10 token(s)") && resumed.output.contains("Verified"))
    }
}
