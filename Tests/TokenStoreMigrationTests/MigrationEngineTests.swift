import Foundation
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreMigration
import TokenStoreTesting

/// ``TokenMigration``: pages, batches, checkpoints, resume, idempotence, request token expiry.
@Suite("TokenMigration", .inProcessTimeLimit)
struct MigrationEngineTests {
    static let base = Date(timeIntervalSince1970: 1_700_000_000)

    static func accessTokens(_ count: Int, secret: String = "secret") -> [AccessToken] {
        (0..<count).map { index in
            AccessToken(
                provider: "p\(index % 3)", userID: String(format: "u%04d", index), token: "t\(index)",
                secret: "\(secret)-\(index)", screenName: index % 2 == 0 ? "name\(index)" : nil,
                createdAt: base, updatedAt: base.addingTimeInterval(Double(index)), metadata: ["i": "\(index)"])
        }
    }

    static func requestTokens(_ count: Int, expiresAt: Date = Date().addingTimeInterval(3600)) -> [RequestToken] {
        (0..<count).map { index in
            RequestToken(
                provider: "p", token: String(format: "rt%04d", index), secret: "request-secret-\(index)",
                context: RequestTokenContext(callbackURL: "https://app/cb", returnTo: "/r\(index)"),
                createdAt: Date(), expiresAt: expiresAt)
        }
    }

    static func filled(access: Int, request: Int) async throws -> InMemoryTokenStore {
        let store = InMemoryTokenStore()
        try await store.saveAccessTokens(accessTokens(access), policy: .overwrite)
        try await store.saveRequestTokens(requestTokens(request))
        return store
    }

    /// Collects what the handlers saw.
    final class Recorder: Sendable {
        let checkpoints = Mutex<[MigrationCheckpoint]>([])
        let progress = Mutex<[MigrationProgress]>([])
        var savedCheckpoints: [MigrationCheckpoint] { checkpoints.withLock { $0 } }
        var reports: [MigrationProgress] { progress.withLock { $0 } }
    }

    @Test func copiesEverythingInBatchesWithACheckpointAfterEach() async throws {
        let source = try await Self.filled(access: 23, request: 7)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 5
        let recorder = Recorder()
        let summary = try await migration.run(
            checkpoint: { checkpoint in recorder.checkpoints.withLock { $0.append(checkpoint) } },
            progress: { progress in recorder.progress.withLock { $0.append(progress) } })
        #expect(summary.counts.accessRead == 23 && summary.counts.accessWritten == 23)
        #expect(summary.counts.requestRead == 7 && summary.counts.requestWritten == 7)
        #expect(!summary.interrupted && summary.resumedAfter == 0)
        // 5 access pages + 2 request pages, each checkpointed after its write.
        let checkpoints = recorder.savedCheckpoints
        #expect(checkpoints.count == 7)
        #expect(checkpoints.map(\.counts.read) == [5, 10, 15, 20, 23, 28, 30])
        #expect(checkpoints[4].phase == .accessTokens && checkpoints[5].phase == .requestTokens)
        #expect(recorder.reports.last?.total == 30)
        #expect(try await destination.counts() == TokenCounts(requestTokens: 7, accessTokens: 23))
        let verification = try await migration.verify()
        #expect(verification.matches)
        #expect(verification.source == verification.destination)
        #expect(verification.source.accessTokens == 23 && verification.source.requestTokens == 7)
    }

    @Test func runningTwiceLeavesTheDestinationIdenticalAndKeepsNewerTokens() async throws {
        let source = try await Self.filled(access: 12, request: 3)
        let destination = InMemoryTokenStore()
        let newer = AccessToken(
            provider: "p0", userID: "u0000", token: "newer", secret: "n", createdAt: Self.base,
            updatedAt: Self.base.addingTimeInterval(10_000))
        try await destination.saveAccessToken(newer)
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 4
        let first = try await migration.run()
        #expect(first.counts.accessWritten == 11)
        let digest = try await migration.verify().destination
        let second = try await migration.run()
        #expect(second.counts.accessWritten == 0)
        #expect(try await migration.verify().destination == digest)
        #expect(try await destination.accessToken(for: newer.key)?.token == "newer")

        migration.policy = .overwrite
        _ = try await migration.run()
        #expect(try await destination.accessToken(for: newer.key)?.token == "t0")
        #expect(try await migration.verify().matches)
    }

    @Test func stopsAfterTheBatchInFlightAndResumesWithoutCopyingAgain() async throws {
        let source = try await Self.filled(access: 40, request: 10)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 6
        let control = MigrationControl()
        let recorder = Recorder()
        let stopped = try await migration.run(
            control: control,
            checkpoint: { checkpoint in recorder.checkpoints.withLock { $0.append(checkpoint) } },
            progress: { progress in if progress.counts.read >= 12 { control.requestStop() } })
        #expect(stopped.interrupted)
        let saved = try #require(stopped.checkpoint)
        #expect(saved.counts.read == 12)
        #expect(try await destination.counts().accessTokens == 12)

        let resumed = try await migration.run(resume: saved)
        #expect(!resumed.interrupted)
        #expect(resumed.resumedAfter == 12)
        #expect(resumed.readThisRun == 38)
        #expect(resumed.counts.read == 50)
        #expect(try await migration.verify().matches)
    }

    @Test func replayingTheLastBatchNeitherLosesNorDuplicates() async throws {
        let source = try await Self.filled(access: 20, request: 4)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 5
        let recorder = Recorder()
        _ = try await migration.run(checkpoint: { checkpoint in recorder.checkpoints.withLock { $0.append(checkpoint) } })
        // A crash after the third batch was written but before its checkpoint: resume from the second.
        let older = recorder.savedCheckpoints[1]
        let replay = try await migration.run(resume: older)
        #expect(replay.readThisRun == 14)
        #expect(try await destination.counts() == TokenCounts(requestTokens: 4, accessTokens: 20))
        #expect(try await migration.verify().matches)
    }

    @Test func requestTokensKeepTheirExpiryAndExpiredOnesAreSkipped() async throws {
        // The source's clock is an hour behind, so it still lists tokens that expired in real time.
        let clock = ManualTokenClock(Date().addingTimeInterval(-3600))
        let source = InMemoryTokenStore(clock: clock.clock)
        let live = Self.requestTokens(3, expiresAt: Date().addingTimeInterval(300))
        let expired = RequestToken(
            provider: "p", token: "old", secret: "x", createdAt: Date().addingTimeInterval(-4000),
            expiresAt: Date().addingTimeInterval(-60))
        try await source.saveRequestTokens(live + [expired])
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.kinds = .requestTokens
        let summary = try await migration.run()
        #expect(summary.counts.requestRead == 4 && summary.counts.requestSkipped == 1 && summary.counts.requestWritten == 3)
        let copied = try await destination.listRequestTokens(after: nil, limit: 10).tokens
        #expect(copied == live)
    }

    @Test func onlyAccessTokensLeavesRequestTokensAndCheckpointsSayWhich() async throws {
        let source = try await Self.filled(access: 3, request: 3)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.kinds = .accessTokens
        _ = try await migration.run()
        #expect(try await destination.counts() == TokenCounts(requestTokens: 0, accessTokens: 3))
        #expect(migration.initialCheckpoint.only == "access-tokens")
        let verification = try await migration.verify()
        #expect(verification.matches && verification.source.requestTokens == nil)

        var other = migration
        other.kinds = .all
        await #expect(throws: TokenStoreError.self) { _ = try await other.run(resume: migration.initialCheckpoint) }
    }

    @Test func dryRunWritesNothingAndSavesNoCheckpoint() async throws {
        let source = try await Self.filled(access: 9, request: 2)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 4
        migration.dryRun = true
        let recorder = Recorder()
        let summary = try await migration.run(checkpoint: { checkpoint in recorder.checkpoints.withLock { $0.append(checkpoint) } })
        #expect(summary.counts.accessRead == 9 && summary.counts.requestRead == 2)
        #expect(summary.counts.accessWritten == 0 && summary.checkpoint == nil)
        #expect(recorder.savedCheckpoints.isEmpty)
        #expect(try await destination.counts() == TokenCounts(requestTokens: 0, accessTokens: 0))
    }
}
