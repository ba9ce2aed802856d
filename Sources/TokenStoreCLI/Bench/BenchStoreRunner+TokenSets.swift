import Foundation
import Synchronization
import TokenStoreKit

/// The timed steps of `set-get`, `set-put` and `set-cas`, the OAuth 2.0 token-set calls:
/// input prepared first, then only the store call between the two clock readings.
extension BenchStoreRunner {
    func tokenSetGetStep() -> BenchStep {
        let store = self.store
        let keys = range.keys
        return { _, random in
            let key = keys[random.index(below: keys.count)]
            let clock = ContinuousClock()
            let start = clock.now
            let tokenSet = try await store.tokenSet(for: key)
            let elapsed = clock.now - start
            guard tokenSet != nil else { throw BenchStepError(description: "the bench token set \(key) was not found") }
            return elapsed
        }
    }

    func tokenSetPutStep() -> BenchStep {
        let store = self.store
        let tokenSets = self.tokenSets
        let secrets = range.secrets
        return { _, random in
            let tokenSet = Self.refreshed(tokenSets[random.index(below: tokenSets.count)], secrets: secrets, random: &random)
            let clock = ContinuousClock()
            let start = clock.now
            try await store.saveTokenSet(tokenSet, policy: .overwrite)
            return clock.now - start
        }
    }

    /// One compare-and-set, on the version this run last saw for the key (`versions`, read
    /// before the phase and kept up to date from each answer), so only the write is timed
    /// and counted in the CPU per operation. Another task may have written the key since:
    /// that lost race is a correct answer, timed like a win, and the version is read again
    /// (untimed); a refusal while the stored version is the one compared is an error.
    func tokenSetReplaceStep(versions: BenchTokenSetVersions) -> BenchStep {
        let store = self.store
        let tokenSets = self.tokenSets
        let secrets = range.secrets
        return { _, random in
            let index = random.index(below: tokenSets.count)
            let expected = versions[index]
            let next = Self.refreshed(tokenSets[index], secrets: secrets, random: &random)
            let clock = ContinuousClock()
            let start = clock.now
            let replaced = try await store.replaceTokenSet(next, ifVersion: expected)
            let elapsed = clock.now - start
            if let replaced {
                versions.saw(replaced.version, at: index)
                return elapsed
            }
            guard let current = try await store.tokenSet(for: next.key) else {
                throw BenchStepError(description: "the bench token set \(next.key) was not found")
            }
            guard current.version != expected else {
                throw BenchStepError(
                    description: "replaceTokenSet refused version \(expected) of \(next.key), which is the stored one")
            }
            versions.saw(current.version, at: index)
            return elapsed
        }
    }

    /// The stored version of every token set of the range, read page by page (not timed).
    func readTokenSetVersions() async throws -> BenchTokenSetVersions {
        let index = Dictionary(uniqueKeysWithValues: range.keys.enumerated().map { ($1, $0) })
        var versions = [Int64](repeating: 0, count: range.keys.count)
        // The range's keys sort together: list from just before its first one.
        var cursor: AccessTokenKey? = AccessTokenKey(provider: range.provider, userID: "")
        var seen = 0
        while let after = cursor, seen < versions.count {
            let page = try await store.listTokenSets(after: after, limit: 500)
            for tokenSet in page.tokenSets {
                guard let position = index[tokenSet.key] else { return BenchTokenSetVersions(versions) }
                versions[position] = tokenSet.version
                seen += 1
            }
            cursor = page.nextCursor
        }
        return BenchTokenSetVersions(versions)
    }

    /// `tokenSet` as a refresh leaves it: new access and refresh tokens, a later expiry.
    private static func refreshed(
        _ tokenSet: OAuth2TokenSet, secrets: [String], random: inout BenchRandom
    ) -> OAuth2TokenSet {
        var next = tokenSet
        let now = Date()
        next.accessToken = secrets[random.index(below: secrets.count)]
        next.refreshToken = secrets[random.index(below: secrets.count)]
        next.expiresAt = now.addingTimeInterval(3600)
        next.updatedAt = now
        return next
    }
}

/// The token-set versions `set-cas` compares against, one per key of the range.
final class BenchTokenSetVersions: Sendable {
    private let versions: Mutex<[Int64]>

    init(_ versions: [Int64]) {
        self.versions = Mutex(versions)
    }

    subscript(index: Int) -> Int64 { versions.withLock { $0[index] } }

    /// Records a version seen for key `index`; never goes back (tasks answer out of order).
    func saw(_ version: Int64, at index: Int) {
        versions.withLock { $0[index] = max($0[index], version) }
    }
}
