import Foundation
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreMigration
import TokenStoreSealing

/// `SealedTokenStore.reseal` with OAuth 2.0 token sets: every secret re-sealed under the
/// primary by compare-and-set under the refresh lease, never over a refresh in flight.
@Suite("SealedTokenStore re-sealing of token sets", .inProcessTimeLimit)
struct ResealTokenSetTests {
    /// Token sets sealed under `k1` and access tokens beside them.
    static func sealedUnderK1(_ count: Int) async throws -> (InMemoryTokenStore, [OAuth2TokenSet]) {
        let inner = InMemoryTokenStore()
        let old = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        let sets = TokenSetFixtures.tokenSets(count)
        try await old.saveTokenSets(sets, policy: .overwrite)
        _ = try await SealingResealTests.fill(old, count: 3)
        return (inner, sets)
    }

    static func secrets(_ tokenSet: OAuth2TokenSet) -> [String] {
        [tokenSet.accessToken, tokenSet.refreshToken, tokenSet.idToken].compactMap(\.self)
    }

    static func allUnder(_ keyID: String, _ store: any TokenStore) async throws -> Bool {
        try await TokenSetFixtures.all(store).allSatisfy { set in
            secrets(set).allSatisfy { SealedTokenStore.sealingKeyID(ofStoredSecret: $0) == keyID }
        }
    }

    @Test func resealsEverySecretKeepingEveryFieldAndRaisingTheVersionOnce() async throws {
        let (inner, sets) = try await Self.sealedUnderK1(11)
        let rotated = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2", "k1"))
        try await rotated.saveTokenSet(sets[4], policy: .overwrite)  // one already under k2 (version 2)

        let report = try await rotated.reseal(pageSize: 4)
        #expect(report.tokenSetResealed == 10 && report.tokenSetAlreadyPrimary == 1)
        #expect(report.tokenSetWasPlaintext == 0 && report.tokenSetSkipped == 0)
        #expect(report.tokenSetRemainingOnOtherKeys == 0 && report.resealed == 3)
        #expect(report.description.contains("re-sealed 10 token sets (0 were plain text), 1 already under the primary key"))
        #expect(report.description.contains("0 token sets still under other keys or plain"))
        #expect(try await Self.allUnder("k2", inner))

        let opened = try await TokenSetFixtures.all(SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2")))
        #expect(opened.map(TokenSetFixtures.unversioned) == sets)
        #expect(opened.allSatisfy { $0.version == 2 })
        // No lease is left behind: any worker can take one at once.
        for set in sets {
            #expect(try await inner.acquireRefreshLease(for: set.key, owner: "worker", duration: .seconds(5)))
        }

        let again = try await rotated.reseal(pageSize: 4)
        #expect(again.tokenSetResealed == 0 && again.tokenSetAlreadyPrimary == 11)
    }

    @Test func aSetBeingRefreshedIsSkippedWithItsLeaseUntouchedThenResealedByTheNextRun() async throws {
        let (inner, sets) = try await Self.sealedUnderK1(5)
        let busy = sets[2].key
        #expect(try await inner.acquireRefreshLease(for: busy, owner: "worker-7", duration: .seconds(120)))
        let rotated = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2", "k1"))

        let report = try await rotated.reseal(pageSize: 2, includeRequestTokens: false)
        #expect(report.tokenSetResealed == 4 && report.tokenSetSkipped == 1 && report.tokenSetAlreadyPrimary == 0)
        #expect(report.tokenSetRemainingOnOtherKeys == 1)
        #expect(report.description.contains("1 being refreshed or changed meanwhile (run again)"))
        let untouched = try #require(try await inner.tokenSet(for: busy))
        #expect(untouched.version == 1 && Self.secrets(untouched).allSatisfy { $0.hasPrefix("tsv1:k1:") })
        // The worker still holds its lease, and its compare-and-set still succeeds.
        #expect(try await !inner.acquireRefreshLease(for: busy, owner: "someone-else", duration: .seconds(5)))
        #expect(try await inner.releaseRefreshLease(for: busy, owner: "worker-7"))

        let next = try await rotated.reseal(pageSize: 2, includeRequestTokens: false)
        #expect(next.tokenSetResealed == 1 && next.tokenSetAlreadyPrimary == 4 && next.tokenSetRemainingOnOtherKeys == 0)
    }

    @Test func aRefreshBetweenTheListingAndTheLeaseIsNeverOverwritten() async throws {
        let (inner, sets) = try await Self.sealedUnderK1(3)
        let key = sets[1].key
        // The racing worker writes its new refresh token plain, so the test can tell it apart.
        let racing = LeaseRacingStore(inner: inner, key: key, refreshTo: "rotated-refresh")
        let rotated = SealedTokenStore(wrapping: racing, keys: try SealingFixtures.ring("k2", "k1"), allowPlaintext: true)
        let report = try await rotated.reseal(pageSize: 10, includeRequestTokens: false)
        #expect(report.tokenSetResealed == 3 && report.tokenSetSkipped == 0)
        let stored = try #require(
            try await SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2")).tokenSet(for: key))
        // The refresh's new refresh token survived, re-sealed; the stale one was not written back.
        #expect(stored.refreshToken == "rotated-refresh")
        #expect(stored.version == 3)
        #expect(report.tokenSetWasPlaintext == 1)
    }

    @Test func plainTokenSetsAreSealedOnlyWhenAllowed() async throws {
        let inner = InMemoryTokenStore()
        let sets = TokenSetFixtures.tokenSets(6)
        try await inner.saveTokenSets(sets, policy: .overwrite)
        let strict = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        let error = await #expect(throws: TokenStoreError.self) { _ = try await strict.reseal(pageSize: 4) }
        #expect(error?.code == .sealing && error?.record == "token set g0/u0000")
        #expect(try await TokenSetFixtures.all(inner).allSatisfy { $0.version == 1 })

        let lenient = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"), allowPlaintext: true)
        let report = try await lenient.reseal(pageSize: 4)
        #expect(report.tokenSetResealed == 6 && report.tokenSetWasPlaintext == 6 && report.tokenSetRemainingOnOtherKeys == 0)
        #expect(try await Self.allUnder("k1", inner))
        #expect(try await TokenSetFixtures.all(strict).map(TokenSetFixtures.unversioned) == sets)
    }

    @Test func anInterruptedResealResumesInTheTokenSetPhase() async throws {
        let (inner, sets) = try await Self.sealedUnderK1(10)
        let rotated = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2", "k1"))
        let control = MigrationControl()
        let stopped = try await rotated.reseal(
            pageSize: 3, control: control,
            progress: { progress in
                if progress.phase == .tokenSets, progress.counts.tokenSetRead >= 3 { control.requestStop() }
            })
        #expect(stopped.interrupted && stopped.tokenSetResealed == 3)
        let checkpoint = try #require(stopped.checkpoint)
        #expect(checkpoint.phase == .tokenSets && checkpoint.counts.tokenSetWritten == 3)

        let resumed = try await rotated.reseal(pageSize: 3, resume: checkpoint)
        #expect(!resumed.interrupted && resumed.tokenSetResealed == 10 && resumed.tokenSetRemainingOnOtherKeys == 0)
        // Each set re-sealed exactly once.
        #expect(try await TokenSetFixtures.all(inner).allSatisfy { $0.version == 2 })
        #expect(try await Self.allUnder("k2", inner))
        #expect(try await TokenSetFixtures.all(rotated).map(TokenSetFixtures.unversioned) == sets)
    }

    @Test func aRekeyCheckpointOfThePreviousReleaseStillResealsTheTokenSets() async throws {
        let (inner, sets) = try await Self.sealedUnderK1(4)
        let rotated = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2", "k1"))
        // The old run re-sealed the access tokens and reached the request tokens.
        _ = try await rotated.resealAccessTokens(pageSize: 10)
        let raw = try await TokenSetFixtures.all(inner)
        #expect(raw.count == 4 && raw.allSatisfy { $0.version == 2 })  // resealAccessTokens reseals sets too

        // Put the sets back under k1 as the old release left them, then resume its checkpoint.
        let old = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        try await old.saveTokenSets(sets, policy: .overwrite)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var object = try #require(
            try JSONSerialization.jsonObject(with: encoder.encode(rotated.resealCheckpoint())) as? [String: Any])
        object["tokenSetCursor"] = nil
        object["tokenSetsDone"] = nil
        object["phase"] = "request-tokens"
        object["counts"] = [
            "accessRead": 3, "accessWritten": 3, "requestRead": 0, "requestWritten": 0, "requestSkipped": 0,
            "plaintext": 0,
        ]
        let checkpoint = try JSONDecoder.iso8601.decode(
            MigrationCheckpoint.self, from: JSONSerialization.data(withJSONObject: object))
        let report = try await rotated.reseal(pageSize: 3, resume: checkpoint)
        #expect(report.tokenSetResealed == 4 && report.resealed == 3 && report.tokenSetRemainingOnOtherKeys == 0)
        #expect(try await Self.allUnder("k2", inner))
    }
}
