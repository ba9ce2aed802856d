import Foundation
import TokenStoreKit

/// The timed steps of `set-get`, `set-put` and `set-cas`, the OAuth 2.0 token-set calls:
/// input prepared (and, for `set-cas`, the version read) first, then only the store call
/// between the two clock readings.
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

    /// One compare-and-set on the version read just before. Another task may write the
    /// same key in between: that lost race is a correct answer and is timed like a win; a
    /// refusal while the stored version did not move is an error.
    func tokenSetReplaceStep() -> BenchStep {
        let store = self.store
        let keys = range.keys
        let secrets = range.secrets
        return { _, random in
            let key = keys[random.index(below: keys.count)]
            guard let current = try await store.tokenSet(for: key) else {
                throw BenchStepError(description: "the bench token set \(key) was not found")
            }
            let next = Self.refreshed(current, secrets: secrets, random: &random)
            let clock = ContinuousClock()
            let start = clock.now
            let replaced = try await store.replaceTokenSet(next, ifVersion: current.version)
            let elapsed = clock.now - start
            if replaced == nil, try await store.tokenSet(for: key)?.version == current.version {
                throw BenchStepError(
                    description: "replaceTokenSet refused version \(current.version) of \(key), which is still the stored one")
            }
            return elapsed
        }
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
