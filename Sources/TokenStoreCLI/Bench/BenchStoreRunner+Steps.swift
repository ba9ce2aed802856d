import Foundation
import TokenStoreKit

/// The timed steps of `put`, `get` and `mixed`: input prepared first, then only the store
/// call between the two clock readings.
extension BenchStoreRunner {
    func putStep() -> BenchStep {
        let store = self.store
        let tokens = self.tokens
        let secrets = range.secrets
        return { _, random in
            var token = tokens[random.index(below: tokens.count)]
            token.secret = secrets[random.index(below: secrets.count)]
            token.updatedAt = Date()
            let clock = ContinuousClock()
            let start = clock.now
            try await store.saveAccessToken(token, policy: .overwrite)
            return clock.now - start
        }
    }

    func getStep() -> BenchStep {
        let store = self.store
        let keys = range.keys
        return { _, random in
            let key = keys[random.index(below: keys.count)]
            let clock = ContinuousClock()
            let start = clock.now
            let token = try await store.accessToken(for: key)
            let elapsed = clock.now - start
            guard token != nil else { throw BenchStepError(description: "the bench token \(key) was not found") }
            return elapsed
        }
    }

    /// 8 in 10 get, 1 in 10 put, 1 in 10 save-then-take of a fresh request token (timed
    /// together, as the two halves of one sign-in). `tag` keeps warm-up and measured
    /// token names apart.
    func mixedStep(tag: String) -> BenchStep {
        let get = getStep()
        let put = putStep()
        let store = self.store
        let range = self.range
        let ledger = self.ledger
        return { ticket, random in
            let roll = random.index(below: 10)
            if roll < 8 { return try await get(ticket, &random) }
            if roll == 8 { return try await put(ticket, &random) }
            let name = range.requestPrefix + tag + String(ticket)
            let token = RequestToken(
                provider: range.provider, token: name, secret: range.secrets[random.index(below: range.secrets.count)],
                context: RequestTokenContext(callbackURL: "https://bench.invalid/callback"), createdAt: Date())
            let clock = ContinuousClock()
            let start = clock.now
            do {
                try await store.saveRequestToken(token)
                let taken = try await store.takeRequestToken(name)
                let elapsed = clock.now - start
                guard taken != nil else {
                    throw BenchStepError(description: "a request token saved a moment ago was not returned by take")
                }
                return elapsed
            } catch {
                ledger.add(name)
                throw error
            }
        }
    }
}
