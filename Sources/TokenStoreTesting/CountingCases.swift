import Foundation
import TokenStoreKit

/// ``TokenStore/countAccessTokensByProvider()`` against what was written: inserts,
/// updates (which add nothing), batches under both policies, deletes (also of a missing
/// token), request-token saves and takes (which touch no access count), and concurrent
/// inserts of the same keys (each key counted once).
enum CountingCases {
    static func byProvider(_ c: ConformanceContext) async throws {
        let a = "a"
        let b = "b-\u{E9}"
        let providerA = c.prefix + a
        let providerB = c.prefix + b

        /// The counts of this case's providers, checked against `expected` and against a
        /// listing of the case's tokens.
        func expect(_ expected: [String: Int], _ step: String) async throws {
            let all = try await c.store.countAccessTokensByProvider()
            let mine = all.byProvider.filter { $0.key.hasPrefix(c.prefix) }
            c.checkEqual(mine, expected, "countAccessTokensByProvider after \(step)")
            c.check(all.byProvider.values.allSatisfy { $0 > 0 }, "a provider counted zero or fewer times after \(step): \(all.byProvider)")
            var listed: [String: Int] = [:]
            for token in try await c.walkAccessTokens(limit: 100) { listed[token.provider, default: 0] += 1 }
            c.checkEqual(mine, listed, "counts differ from a listing after \(step)")
        }

        try await expect([:], "nothing was written")
        let firstA = (0..<3).map { c.accessToken(a, userID: "u\($0)") }
        let firstB = (0..<2).map { c.accessToken(b, userID: "u\($0)") }
        for token in firstA + firstB { try await c.store.saveAccessToken(token) }
        try await expect([providerA: 3, providerB: 2], "5 inserts")

        try await c.store.saveAccessToken(c.accessToken(a, userID: "u0"))
        try await expect([providerA: 3, providerB: 2], "an overwrite of an existing token")

        c.clock.advance(by: .seconds(5))
        let batch = [
            c.accessToken(a, userID: "u1"), c.accessToken(a, userID: "u3"), c.accessToken(a, userID: "u4"),
            c.accessToken(b, userID: "u2"),
        ]
        let written = try await c.store.saveAccessTokens(batch, policy: .ifNewer)
        c.checkEqual(written, 4, "an ifNewer batch of 1 newer update and 3 inserts wrote \(written)")
        try await expect([providerA: 5, providerB: 3], "a batch of 1 update and 3 inserts")

        let older = c.accessToken(a, userID: "u3", updatedAt: c.clock.now.addingTimeInterval(-60))
        try await c.store.saveAccessTokens([older, c.accessToken(a, userID: "u5")], policy: .ifNewer)
        try await expect([providerA: 6, providerB: 3], "an ifNewer batch of a kept token and 1 insert")

        let request = c.requestToken("counting", ttl: .seconds(120))
        try await c.store.saveRequestToken(request)
        _ = try await c.store.takeRequestToken(request.token)
        try await expect([providerA: 6, providerB: 3], "a request token saved and taken")

        c.check(try await c.store.deleteAccessToken(for: firstA[0].key), "deleting an existing token returned false")
        c.check(!(try await c.store.deleteAccessToken(for: firstA[0].key)), "deleting a deleted token returned true")
        try await expect([providerA: 5, providerB: 3], "a delete and a delete of a missing token")

        for user in ["u0", "u1", "u2"] { try await c.store.deleteAccessToken(for: AccessTokenKey(provider: providerB, userID: user)) }
        try await expect([providerA: 5], "every token of a provider deleted")

        // Many tasks insert the same new keys at once: each key is one token.
        let c3 = "c"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let tokens = (0..<4).map { c.accessToken(c3, userID: "same-\($0)") }
                    try await c.store.saveAccessTokens(tokens, policy: .overwrite)
                    try await c.store.saveAccessToken(tokens[0])
                }
            }
            try await group.waitForAll()
        }
        try await expect([providerA: 5, c.prefix + c3: 4], "8 tasks inserting the same 4 keys")
    }
}
