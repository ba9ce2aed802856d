import Foundation
import Testing
import TokenStoreKit

/// Re-sealing under a new primary key, and sealing a plain store in place.
@Suite("SealedTokenStore re-sealing")
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
}
