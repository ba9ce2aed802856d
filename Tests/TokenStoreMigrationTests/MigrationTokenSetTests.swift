import Foundation
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreMigration
import TokenStoreSealing

/// ``TokenMigration`` with OAuth 2.0 token sets: every field copied (the version is the
/// destination's), idempotence, verification, the token-set checkpoint phase and resume.
@Suite("TokenMigration of token sets", .inProcessTimeLimit)
struct MigrationTokenSetTests {
    /// A source with access tokens, token sets (some written twice, so their version is 2)
    /// and request tokens.
    static func source(access: Int = 4, tokenSets: Int, request: Int = 3) async throws -> InMemoryTokenStore {
        let store = try await MigrationEngineTests.filled(access: access, request: request)
        let sets = TokenSetFixtures.tokenSets(tokenSets)
        try await store.saveTokenSets(sets, policy: .overwrite)
        try await store.saveTokenSets(Array(sets.prefix(3)), policy: .overwrite)
        return store
    }

    @Test func copiesEveryFieldOfEveryTokenSetButTheVersion() async throws {
        let source = try await Self.source(tokenSets: 17)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 4
        let recorder = MigrationEngineTests.Recorder()
        let summary = try await migration.run(
            checkpoint: { checkpoint in recorder.checkpoints.withLock { $0.append(checkpoint) } },
            progress: { progress in recorder.progress.withLock { $0.append(progress) } })
        #expect(summary.counts.tokenSetRead == 17 && summary.counts.tokenSetWritten == 17)
        #expect(summary.counts.accessRead == 4 && summary.counts.requestRead == 3)
        #expect(summary.counts.read == 24)

        let copied = try await TokenSetFixtures.all(destination)
        let original = try await TokenSetFixtures.all(source)
        #expect(copied.map(TokenSetFixtures.unversioned) == original.map(TokenSetFixtures.unversioned))
        #expect(original.prefix(3).allSatisfy { $0.version == 2 })
        #expect(copied.allSatisfy { $0.version == 1 })
        #expect(try await destination.counts() == TokenCounts(requestTokens: 3, accessTokens: 4, tokenSets: 17))

        // Access tokens (1 page), token sets (5 pages), request tokens (1 page), in that order.
        let phases = recorder.savedCheckpoints.map(\.phase)
        #expect(phases == [.accessTokens] + Array(repeating: .tokenSets, count: 5) + [.requestTokens])
        #expect(recorder.savedCheckpoints[5].tokenSetsDone == false)
        #expect(recorder.savedCheckpoints[6].tokenSetsDone == true)
        #expect(recorder.reports.last?.total == 24)

        let verification = try await migration.verify(pageSize: 5)
        #expect(verification.matches)
        #expect(verification.source.tokenSets == 17 && verification.destination.tokenSets == 17)
        #expect(verification.source.tokenSetDigest == verification.destination.tokenSetDigest)
        #expect(verification.source.tokenSetDigest?.hasPrefix("sha256:") == true)
    }

    @Test func runningTwiceWritesNothingNewAndKeepsANewerDestinationSet() async throws {
        let source = try await Self.source(tokenSets: 9)
        let destination = InMemoryTokenStore()
        let original = TokenSetFixtures.tokenSets(9)[2]
        var newer = original
        newer.accessToken = "newer"
        newer.updatedAt = TokenSetFixtures.base.addingTimeInterval(10_000)
        try await destination.saveTokenSet(newer, policy: .overwrite)
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 2
        let first = try await migration.run()
        #expect(first.counts.tokenSetRead == 9 && first.counts.tokenSetWritten == 8)
        let second = try await migration.run()
        #expect(second.counts.tokenSetRead == 9 && second.counts.tokenSetWritten == 0)
        let stored = try await TokenSetFixtures.all(destination)
        #expect(stored.count == 9)
        #expect(stored.first { $0.key == newer.key }?.accessToken == "newer")
        // Nothing was written twice: a write would have raised the version.
        #expect(stored.allSatisfy { $0.version == 1 })

        migration.policy = .overwrite
        let forced = try await migration.run()
        #expect(forced.counts.tokenSetWritten == 9)
        #expect(try await destination.tokenSet(for: newer.key)?.accessToken == original.accessToken)
    }

    @Test func verifyDetectsAChangedRefreshTokenWithoutShowingIt() async throws {
        let source = try await Self.source(tokenSets: 8)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 3
        _ = try await migration.run()
        #expect(try await migration.verify().matches)

        var changed = try #require(try await destination.tokenSet(for: AccessTokenKey(provider: "g1", userID: "u0003")))
        changed.refreshToken = "stolen-refresh"
        try await destination.saveTokenSet(changed, policy: .overwrite)
        let verification = try await migration.verify(pageSize: 2)
        #expect(!verification.matches)
        #expect(verification.differenceCount == 1)
        #expect(verification.differences == [MigrationDifference(kind: .contentDiffers, record: "token set g1/u0003")])
        #expect(verification.source.tokenSets == 8 && verification.destination.tokenSets == 8)
        #expect(verification.source.tokenSetDigest != verification.destination.tokenSetDigest)
        #expect(verification.source.accessDigest == verification.destination.accessDigest)
        #expect(!verification.differences.description.contains("refresh-3"))

        // A missing and an extra set are counted too.
        _ = try await destination.deleteTokenSet(for: changed.key)
        try await destination.saveTokenSet(TokenSetFixtures.tokenSets(1)[0].renamed(provider: "zz"), policy: .overwrite)
        let again = try await migration.verify()
        #expect(again.destination.tokenSets == 8)
        #expect(Set(again.differences.map(\.kind)) == [.missingInDestination, .extraInDestination])
    }

    @Test func anInterruptionInTheTokenSetPhaseResumesWithoutLossOrDuplicates() async throws {
        let source = try await Self.source(access: 5, tokenSets: 14, request: 4)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 3
        let control = MigrationControl()
        let saved = Mutex<[MigrationCheckpoint]>([])
        let stopped = try await migration.run(
            control: control, checkpoint: { checkpoint in saved.withLock { $0.append(checkpoint) } },
            progress: { progress in
                if progress.phase == .tokenSets, progress.counts.tokenSetRead >= 6 { control.requestStop() }
            })
        #expect(stopped.interrupted)
        let checkpoint = try #require(stopped.checkpoint)
        #expect(checkpoint.phase == .tokenSets && !checkpoint.tokenSetsDone)
        #expect(checkpoint.counts.accessRead == 5 && checkpoint.counts.tokenSetRead == 6)
        #expect(checkpoint.tokenSetCursor?.accessTokenKey == (try await TokenSetFixtures.all(source))[5].key)
        #expect(try await destination.counts() == TokenCounts(requestTokens: 0, accessTokens: 5, tokenSets: 6))

        // Through the checkpoint file, as the CLI resumes.
        let directory = NSTemporaryDirectory() + "tokenstore-tokenset-resume-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = MigrationCheckpointFile(path: directory + "/checkpoint.json")
        try file.save(checkpoint)
        let loaded = try #require(try file.load())
        var expected = checkpoint
        expected.savedAt = loaded.savedAt  // whole seconds in the file
        #expect(loaded == expected)
        let resumed = try await migration.run(resume: loaded)
        #expect(!resumed.interrupted && resumed.resumedAfter == 11 && resumed.readThisRun == 12)
        #expect(resumed.counts.tokenSetRead == 14 && resumed.counts.tokenSetWritten == 14)
        #expect(resumed.counts.requestWritten == 4)
        let copied = try await TokenSetFixtures.all(destination)
        #expect(copied.map(TokenSetFixtures.unversioned) == (try await TokenSetFixtures.all(source)).map(TokenSetFixtures.unversioned))
        #expect(copied.allSatisfy { $0.version == 1 })

        // A crash after a batch's write and before its checkpoint: replaying from the
        // checkpoint before writes nothing twice.
        let earlier = try #require(saved.withLock { $0.first { $0.phase == .tokenSets } })
        let replay = try await migration.run(resume: earlier)
        #expect(replay.counts.tokenSetWritten == earlier.counts.tokenSetWritten)
        #expect(try await TokenSetFixtures.all(destination).allSatisfy { $0.version == 1 })
        #expect(try await migration.verify().matches)
    }

    /// A checkpoint as the release before token sets wrote it: no token-set cursor, flag or
    /// counts, its phase already at the request tokens.
    static func previousReleaseCheckpoint(
        of migration: TokenMigration, phase: String, accessCursor: AccessTokenKey?, requestCursor: String?,
        accessRead: Int, requestRead: Int
    ) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var object = try #require(
            try JSONSerialization.jsonObject(with: encoder.encode(migration.initialCheckpoint)) as? [String: Any])
        object["tokenSetCursor"] = nil
        object["tokenSetsDone"] = nil
        object["phase"] = phase
        object["accessCursor"] = accessCursor.map { ["provider": $0.provider, "userID": $0.userID] }
        object["requestCursor"] = requestCursor
        object["counts"] = [
            "accessRead": accessRead, "accessWritten": accessRead, "requestRead": requestRead,
            "requestWritten": requestRead, "requestSkipped": 0, "plaintext": 0,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    @Test func aCheckpointOfThePreviousReleaseAtTheRequestTokensStillCopiesTheTokenSets() async throws {
        let source = try await Self.source(access: 4, tokenSets: 7, request: 5)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 2
        // The old run copied every access token and the first two request tokens.
        try await destination.saveAccessTokens(MigrationEngineTests.accessTokens(4), policy: .overwrite)
        let requests = try await source.listRequestTokens(after: nil, limit: 100).tokens
        try await destination.saveRequestTokens(Array(requests.prefix(2)))
        let data = try Self.previousReleaseCheckpoint(
            of: migration, phase: "request-tokens", accessCursor: AccessTokenKey(provider: "p0", userID: "u0003"),
            requestCursor: requests[1].token, accessRead: 4, requestRead: 2)
        #expect(!String(decoding: data, as: UTF8.self).contains("tokenSet"))

        let directory = NSTemporaryDirectory() + "tokenstore-old-checkpoint-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = MigrationCheckpointFile(path: directory + "/old.json")
        try data.write(to: URL(fileURLWithPath: file.path))
        let old = try #require(try file.load())
        #expect(old.conflicts(with: migration.initialCheckpoint).isEmpty)
        #expect(old.phase == .requestTokens && !old.tokenSetsDone && old.tokenSetCursor == nil)
        #expect(old.counts.tokenSetRead == 0)

        let summary = try await migration.run(resume: old)
        #expect(summary.resumedAfter == 6)
        #expect(summary.counts.tokenSetRead == 7 && summary.counts.tokenSetWritten == 7)
        // The request tokens continued after their cursor: three more, not five again.
        #expect(summary.counts.requestRead == 5 && summary.readThisRun == 10)
        #expect(try await destination.counts() == TokenCounts(requestTokens: 5, accessTokens: 4, tokenSets: 7))
        #expect(try await migration.verify().matches)
    }

    @Test func aCheckpointOfThePreviousReleaseAtTheAccessTokensContinuesThroughTheTokenSets() async throws {
        let source = try await Self.source(access: 6, tokenSets: 5, request: 2)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 4
        let accessKeys = try await source.listAccessTokens(after: nil, limit: 100).tokens.map(\.key)
        let data = try Self.previousReleaseCheckpoint(
            of: migration, phase: "access-tokens", accessCursor: accessKeys[3], requestCursor: nil, accessRead: 4,
            requestRead: 0)
        let old = try JSONDecoder.iso8601.decode(MigrationCheckpoint.self, from: data)
        let summary = try await migration.run(resume: old)
        #expect(summary.counts.accessRead == 6 && summary.readThisRun == 2 + 5 + 2)
        #expect(summary.counts.tokenSetRead == 5)
        #expect(try await destination.counts() == TokenCounts(requestTokens: 2, accessTokens: 2, tokenSets: 5))
    }

    @Test func onlyTokenSetsAndADryRun() async throws {
        let source = try await Self.source(tokenSets: 6)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.kinds = .tokenSets
        migration.batchSize = 4
        #expect(migration.initialCheckpoint.only == "token-sets" && migration.initialCheckpoint.phase == .tokenSets)
        migration.dryRun = true
        let dry = try await migration.run()
        #expect(dry.counts.tokenSetRead == 6 && dry.counts.tokenSetWritten == 0 && dry.counts.accessRead == 0)
        #expect(try await destination.counts() == TokenCounts(requestTokens: 0, accessTokens: 0, tokenSets: 0))
        migration.dryRun = false
        let copied = try await migration.run()
        #expect(copied.counts.tokenSetWritten == 6 && copied.counts.accessRead == 0 && copied.counts.requestRead == 0)
        #expect(try await destination.counts() == TokenCounts(requestTokens: 0, accessTokens: 0, tokenSets: 6))
        let verification = try await migration.verify()
        #expect(verification.matches && verification.source.requestTokens == nil)
        #expect(verification.source.accessTokens == 0 && verification.source.tokenSets == 6)

        // Access tokens only leaves token sets alone.
        let other = InMemoryTokenStore()
        var accessOnly = TokenMigration(from: source, to: other)
        accessOnly.kinds = .accessTokens
        let summary = try await accessOnly.run()
        #expect(summary.counts.tokenSetRead == 0 && summary.counts.accessRead == 4)
        #expect(try await accessOnly.verify().source.tokenSets == nil)
    }

    @Test func sealedTokenSetsAreCheckedCopiedVerbatimOrUnsealed() async throws {
        let inner = InMemoryTokenStore()
        let keys = try SealingFixtures.ring("k1")
        let sets = TokenSetFixtures.tokenSets(6)
        try await SealedTokenStore(wrapping: inner, keys: keys).saveTokenSets(sets, policy: .overwrite)

        let refused = InMemoryTokenStore()
        let error = await #expect(throws: TokenStoreError.self) {
            _ = try await TokenMigration(from: inner, to: refused).run()
        }
        #expect(error?.code == .sealing && error?.record == "token set g0/u0000")
        #expect(try await refused.counts().tokenSets == 0)

        let verbatim = InMemoryTokenStore()
        var copy = TokenMigration(from: inner, to: verbatim)
        copy.keys = keys
        _ = try await copy.run()
        #expect(
            try await TokenSetFixtures.all(verbatim).map(TokenSetFixtures.unversioned)
                == (try await TokenSetFixtures.all(inner)).map(TokenSetFixtures.unversioned))
        #expect(try await TokenSetFixtures.all(SealedTokenStore(wrapping: verbatim, keys: keys)).map(TokenSetFixtures.unversioned) == sets)

        let plain = InMemoryTokenStore()
        var unseal = TokenMigration(from: inner, to: plain)
        unseal.keys = keys
        unseal.secrets = .unseal
        _ = try await unseal.run()
        #expect(try await TokenSetFixtures.all(plain).map(TokenSetFixtures.unversioned) == sets)
        #expect(try await unseal.verify().matches)

        let resealed = InMemoryTokenStore()
        var seal = TokenMigration(from: plain, to: resealed)
        seal.keys = try SealingFixtures.ring("k2")
        seal.secrets = .seal
        _ = try await seal.run()
        let raw = try await TokenSetFixtures.all(resealed)
        #expect(raw.allSatisfy { SealedTokenStore.sealingKeyID(ofStoredSecret: $0.accessToken) == "k2" })
        #expect(raw.allSatisfy { $0.refreshToken.map { $0.hasPrefix("tsv1:k2:") } ?? true })
        #expect(try await seal.verify().matches)
    }
}

extension OAuth2TokenSet {
    func renamed(provider: String) -> OAuth2TokenSet {
        var copy = self
        copy.provider = provider
        return copy
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
