import Foundation
import Testing
import TokenStoreKit
import TokenStoreMigration
import TokenStoreSealing

/// Re-sealing under a new primary key, and sealing a plain store in place.
@Suite("SealedTokenStore re-sealing", .inProcessTimeLimit)
struct SealingResealTests {
    static func fill(_ store: any TokenStore, count: Int) async throws -> [AccessToken] {
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        let tokens = (0..<count).map { index in
            AccessToken(
                provider: "p", userID: String(format: "u%03d", index), token: "t\(index)", secret: "secret-\(index)",
                createdAt: base, updatedAt: base.addingTimeInterval(Double(index)))
        }
        try await store.saveAccessTokens(tokens, policy: .overwrite)
        return tokens
    }

    @Test func resealsOldKeysUnderThePrimaryKeepingTimestamps() async throws {
        let inner = InMemoryTokenStore()
        let tokens = try await Self.fill(SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1")), count: 23)
        let rotated = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2", "k1"))
        try await rotated.saveAccessToken(tokens[0])  // one already under k2

        let report = try await rotated.resealAccessTokens(pageSize: 5)
        #expect(report.resealed == 22)
        #expect(report.alreadyPrimary == 1)
        #expect(report.wasPlaintext == 0)
        #expect(report.remainingOnOtherKeys == 0)

        let raw = try await inner.listAccessTokens(after: nil, limit: 100).tokens
        #expect(raw.count == 23)
        #expect(raw.allSatisfy { SealedTokenStore.sealingKeyID(ofStoredSecret: $0.secret) == "k2" })
        // k1 can go now: the ring with k2 alone opens everything, with the original timestamps.
        let onlyNew = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2"))
        let opened = try await onlyNew.listAccessTokens(after: nil, limit: 100).tokens
        #expect(opened == tokens)

        let again = try await rotated.resealAccessTokens(pageSize: 5)
        #expect(again.resealed == 0 && again.alreadyPrimary == 23 && again.remainingOnOtherKeys == 0)
    }

    @Test func sealsAPlainStoreInPlaceOnlyWhenAllowed() async throws {
        let inner = InMemoryTokenStore()
        let tokens = try await Self.fill(inner, count: 7)

        let strict = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        await #expect(throws: TokenStoreError.self) { _ = try await strict.resealAccessTokens(pageSize: 3) }

        let lenient = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"), allowPlaintext: true)
        let report = try await lenient.resealAccessTokens(pageSize: 3)
        #expect(report.resealed == 7 && report.wasPlaintext == 7 && report.remainingOnOtherKeys == 0)
        let raw = try await inner.listAccessTokens(after: nil, limit: 100).tokens
        #expect(raw.allSatisfy { $0.secret.hasPrefix("tsv1:k1:") })
        #expect(try await strict.listAccessTokens(after: nil, limit: 100).tokens == tokens)
    }

    @Test func unknownKeyStopsTheRunNamingTheRecord() async throws {
        let inner = InMemoryTokenStore()
        _ = try await Self.fill(SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k0")), count: 2)
        let store = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2", "k1"))
        do {
            _ = try await store.resealAccessTokens()
            Issue.record("expected a sealing error")
        } catch let error as TokenStoreError {
            #expect(error.code == .sealing)
            #expect(error.record == "access token p/u000")
        }
    }

    @Test func resealsRequestTokensKeepingExpiryAndResumesAfterAStop() async throws {
        let inner = InMemoryTokenStore()
        let old = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        let tokens = try await Self.fill(old, count: 17)
        let requests = (0..<5).map { index in
            RequestToken(
                provider: "p", token: "rt\(index)", secret: "request-secret-\(index)", createdAt: Date(),
                expiresAt: Date().addingTimeInterval(Double(300 + index)))
        }
        try await old.saveRequestTokens(requests)

        let rotated = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2", "k1"))
        let control = MigrationControl()
        let stopped = try await rotated.reseal(
            pageSize: 4, control: control, progress: { progress in if progress.counts.read >= 8 { control.requestStop() } })
        #expect(stopped.interrupted && stopped.resealed == 8)
        let checkpoint = try #require(stopped.checkpoint)
        #expect(checkpoint.operation == .rekey && checkpoint.accessCursor?.userID == "u007")

        let other = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k3", "k2", "k1"))
        await #expect(throws: TokenStoreError.self) { _ = try await other.reseal(pageSize: 4, resume: checkpoint) }

        let report = try await rotated.reseal(pageSize: 4, resume: checkpoint)
        #expect(!report.interrupted)
        #expect(report.resealed == 17 && report.alreadyPrimary == 0)
        #expect(report.requestResealed == 5 && report.requestGone == 0)
        #expect(report.remainingOnOtherKeys == 0 && report.requestRemainingOnOtherKeys == 0)
        #expect(report.description.contains("0 access tokens still under other keys"))

        let rawRequests = try await inner.listRequestTokens(after: nil, limit: 10).tokens
        #expect(rawRequests.allSatisfy { $0.secret.hasPrefix("tsv1:k2:") })
        let onlyNew = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2"))
        #expect(try await onlyNew.listAccessTokens(after: nil, limit: 100).tokens == tokens)
        for request in requests {
            #expect(try await onlyNew.takeRequestToken(request.token) == request)
        }
    }

    @Test func aRequestTokenThatDoesNotOpenIsNeverTaken() async throws {
        let inner = InMemoryTokenStore()
        let unknown = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k0"))
        try await unknown.saveRequestToken(
            RequestToken(provider: "p", token: "rt", secret: "s", createdAt: Date(), timeToLive: .seconds(300)))
        let store = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2", "k1"))
        let error = await #expect(throws: TokenStoreError.self) { _ = try await store.reseal() }
        #expect(error?.record == "request token p/rt")
        #expect(try await inner.counts().requestTokens == 1)
    }
}
