import Foundation
import Glibc
import Testing
import TokenStoreKit
import TokenStoreMigration

@testable import TokenStoreCLI

/// The built binary interrupted mid-run (SIGINT, SIGKILL), then resumed with `--resume` to
/// a verified, identical destination without copying everything again.
@Suite(.serialized, .inProcessTimeLimit) struct MigrateEndToEndInterruptTests {
    static let total = 2000

    /// Runs a slow migration (batch size 5 into the file store), delivers `signal` once the
    /// checkpoint shows progress, then resumes.
    static func interruptAndResume(signal: Int32) async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-interrupt")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = "sqlite://\(directory)/source.db"
        let destination = "file://\(directory)/destination"
        try await MigrateFixture.fill(source, access: total, request: 20)
        let checkpoint = directory + "/checkpoint.json"
        let environment = MigrateFixture.binaryEnvironment(stateDirectory: directory + "/state")
        let arguments = [
            "migrate", "--from", source, "--to", destination, "--checkpoint", checkpoint, "--progress-interval", "0.05",
        ]

        let interrupted = try await MigrateFixture.runBinary(
            arguments + ["--batch-size", "5"], environment: environment, directory: directory
        ) { pid in
            _ = try await MigrateFixture.waitForCheckpoint(checkpoint, atLeast: 50, pid: pid)
            kill(pid, signal)
        }
        let saved = try #require(try MigrationCheckpointFile(path: checkpoint).load(), "no checkpoint after the interruption")
        #expect(saved.counts.read >= 50 && saved.counts.read < total)
        #expect(saved.phase == .accessTokens)
        if signal != SIGKILL {
            #expect(interrupted.status == MigrateExitCode.interrupted && !interrupted.signalled)
            #expect(interrupted.error.contains("interrupted after \(saved.counts.read) token(s); continue with --resume"))
            // Progress lines were printed while it ran (stderr is not a terminal here).
            #expect(interrupted.error.contains("access-tokens ") && interrupted.error.contains("tokens/s"))
        } else {
            #expect(interrupted.signalled)
        }
        let copiedBefore = try await MigrateFixture.counts(destination).accessTokens
        #expect(copiedBefore >= saved.counts.accessRead)

        let resumed = try await MigrateFixture.runBinary(
            arguments + ["--resume", "--verify", "--batch-size", "400"], environment: environment, directory: directory)
        #expect(resumed.status == 0, "stderr: \(resumed.error)")
        #expect(resumed.error.contains("Resuming after \(saved.counts.read) token(s)"))
        #expect(resumed.output.contains("Copied \(total) access token(s)"))
        let line = try #require(MigrateFixture.line(resumed.output, "Resumed after "))
        let readThisRun = try #require(line.split(separator: " ").last.flatMap { Int($0) })
        #expect(readThisRun == total + 20 - saved.counts.read)
        #expect(readThisRun < total)
        #expect(resumed.output.contains("Verified"))
        #expect(try await MigrateFixture.counts(destination) == TokenCounts(requestTokens: 20, accessTokens: total))
        #expect(!FileManager.default.fileExists(atPath: checkpoint))
        for text in [interrupted.output, interrupted.error, resumed.output, resumed.error] {
            #expect(!text.contains("migrate-secret"))
        }
    }

    /// SIGINT and SIGTERM: the batch in flight finishes, exit 4 with the resume hint.
    @Test(arguments: [SIGINT, SIGTERM])
    func signalStopsAfterTheBatchAndResumes(signal: Int32) async throws {
        try await Self.interruptAndResume(signal: signal)
    }

    @Test func sigkillLosesAtMostTheBatchInFlightAndResumes() async throws {
        try await Self.interruptAndResume(signal: SIGKILL)
    }

    /// `--resume` without a checkpoint, or with one of another run, is refused (exit 1).
    @Test func resumeIsRefusedWithoutAMatchingCheckpoint() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-refuse")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = "sqlite://\(directory)/source.db"
        try await MigrateFixture.fill(source, access: 3, request: 0)
        let checkpoint = directory + "/checkpoint.json"
        let environment = MigrateFixture.binaryEnvironment(stateDirectory: directory + "/state")
        let none = try await MigrateFixture.runBinary(
            ["migrate", "--from", source, "--to", "file://\(directory)/a", "--checkpoint", checkpoint, "--resume"],
            environment: environment, directory: directory)
        #expect(none.status == MigrateExitCode.failed)
        #expect(none.error.contains("no checkpoint at \(checkpoint)"))

        try MigrationCheckpointFile(path: checkpoint).save(
            MigrationCheckpoint(operation: .migrate, source: source, destination: "file://\(directory)/b", only: nil, secrets: "verbatim"))
        let other = try await MigrateFixture.runBinary(
            ["migrate", "--from", source, "--to", "file://\(directory)/a", "--checkpoint", checkpoint, "--resume"],
            environment: environment, directory: directory)
        #expect(other.status == MigrateExitCode.failed)
        #expect(other.error.contains("belongs to another run") && other.error.contains("file://\(directory)/b"))
        #expect(try await MigrateFixture.counts("file://\(directory)/a").accessTokens == 0)
    }
}
