import Foundation
import TokenStoreKit

/// Request tokens: roundtrip, take once, replacement, expiry, purge, listing.
enum RequestTokenCases {
    static func roundTrip(_ c: ConformanceContext) async throws {
        let full = RequestToken(
            provider: c.prefix + "twitter", token: c.prefix + "full", secret: "secret-\(UUID())",
            context: RequestTokenContext(
                callbackURL: "https://app.example/callback?x=1&y=%20", returnTo: "/settings/accounts",
                sessionBinding: "sha256:abcdef0123", metadata: ["a": "1", "ünï": "ç", "empty": ""]),
            createdAt: c.clock.now.addingTimeInterval(0.1234567), timeToLive: .milliseconds(600_001))
        let bare = c.requestToken("bare")
        try await c.store.saveRequestToken(full)
        try await c.store.saveRequestToken(bare)
        let takenFull = try await c.store.takeRequestToken(full.token)
        c.checkEqual(takenFull, full, "take returned a different token than saved (all fields, context, ms timestamps)")
        let takenBare = try await c.store.takeRequestToken(bare.token)
        c.checkEqual(takenBare, bare, "take of a token with an empty context changed it")
        c.checkEqual(takenBare?.context.callbackURL, nil, "nil callbackURL came back non-nil")
    }

    static func takeOnce(_ c: ConformanceContext) async throws {
        let token = c.requestToken("once")
        try await c.store.saveRequestToken(token)
        let first = try await c.store.takeRequestToken(token.token)
        c.checkEqual(first, token, "first take did not return the token")
        let second = try await c.store.takeRequestToken(token.token)
        c.check(second == nil, "second take returned the token again")
    }

    static func unknown(_ c: ConformanceContext) async throws {
        let taken = try await c.store.takeRequestToken(c.prefix + "never-saved")
        c.check(taken == nil, "take of an unknown token returned \(String(describing: taken))")
        let empty = try await c.store.takeRequestToken("")
        c.check(empty == nil || empty?.token == "", "take of an empty name returned another token")
    }

    static func replace(_ c: ConformanceContext) async throws {
        let first = c.requestToken("same")
        var second = c.requestToken("same", context: RequestTokenContext(returnTo: "/second"))
        second.secret = "second-secret"
        try await c.store.saveRequestToken(first)
        try await c.store.saveRequestToken(second)
        let taken = try await c.store.takeRequestToken(first.token)
        c.checkEqual(taken, second, "saving a token with the same name did not replace it")
        let again = try await c.store.takeRequestToken(first.token)
        c.check(again == nil, "a replaced token was stored twice")
    }

    static func expiry(_ c: ConformanceContext) async throws {
        let short = c.requestToken("short", ttl: .seconds(60))
        let long = c.requestToken("long", ttl: .seconds(3600))
        let probe = c.requestToken("probe", ttl: .seconds(60))
        try await c.store.saveRequestToken(short)
        try await c.store.saveRequestToken(long)
        try await c.store.saveRequestToken(probe)
        let before = try await c.walkRequestTokens(limit: 10).map(\.token)
        c.checkEqual(before, [long.token, probe.token, short.token].sorted { $0.bytePrecedes($1) }, "listing before expiry")

        // One millisecond before expiry the token is still there.
        c.clock.set(short.expiresAt.addingTimeInterval(-0.001))
        let justBefore = try await c.store.takeRequestToken(probe.token)
        c.checkEqual(justBefore, probe, "a token 1 ms before its expiry was not returned")

        // At the expiry instant it is gone for take, list and count.
        c.clock.set(short.expiresAt)
        let countAtExpiry = try await c.store.counts().requestTokens
        c.clock.set(short.expiresAt.addingTimeInterval(-0.001))
        let countBefore = try await c.store.counts().requestTokens
        c.check(countBefore - countAtExpiry >= 1, "count did not drop when a token reached its expiresAt (\(countBefore) -> \(countAtExpiry))")
        c.clock.set(short.expiresAt)
        let listed = try await c.walkRequestTokens(limit: 1).map(\.token)
        c.checkEqual(listed, [long.token], "listing at expiresAt still showed the expired token")
        let taken = try await c.store.takeRequestToken(short.token)
        c.check(taken == nil, "take returned a token at its expiresAt")

        c.clock.advance(by: .seconds(3600))
        let late = try await c.store.takeRequestToken(long.token)
        c.check(late == nil, "take returned a token after its expiresAt")
        let listedLate = try await c.walkRequestTokens(limit: 5)
        c.check(listedLate.isEmpty, "listing after every expiry still showed \(listedLate.count) tokens")
    }

    static func purge(_ c: ConformanceContext) async throws {
        let expiring = (0..<3).map { c.requestToken("old-\($0)", ttl: .seconds(30)) }
        let living = (0..<2).map { c.requestToken("new-\($0)", ttl: .seconds(3600)) }
        for token in expiring + living { try await c.store.saveRequestToken(token) }
        let start = c.clock.now
        c.clock.advance(by: .seconds(31))
        let purged = try await c.store.purgeExpiredRequestTokens()
        c.check(purged >= expiring.count, "purge reported \(purged) removed, expected at least \(expiring.count)")
        let again = try await c.store.purgeExpiredRequestTokens()
        c.check(again >= 0, "purge returned a negative count")
        // Back before the expiry: purged tokens must be gone, the others still there.
        c.clock.set(start)
        for token in expiring {
            let taken = try await c.store.takeRequestToken(token.token)
            c.check(taken == nil, "purge left the expired token \(token.token)")
        }
        for token in living {
            let taken = try await c.store.takeRequestToken(token.token)
            c.checkEqual(taken, token, "purge removed the unexpired token \(token.token)")
        }
    }

    static func listing(_ c: ConformanceContext) async throws {
        let tokens = (0..<13).map { c.requestToken(String(format: "list-%02d", ($0 * 7) % 13)) }
        for token in tokens { try await c.store.saveRequestToken(token) }
        let expected = tokens.map(\.token).sorted { $0.bytePrecedes($1) }
        for limit in [1, 2, 5, 13, 100] {
            let listed = try await c.walkRequestTokens(limit: limit)
            c.checkEqual(listed.map(\.token), expected, "request token listing with limit \(limit)")
            c.checkEqual(Set(listed), Set(tokens), "listed request tokens differ from the saved ones (limit \(limit))")
        }
    }

    /// `saveRequestTokens`: each token keeps its own expiry, an existing token is replaced,
    /// a name given twice ends as the later token, an already expired token is never
    /// returned, an empty batch writes nothing, hostile values roundtrip, counts are right.
    static func batch(_ c: ConformanceContext) async throws {
        let empty = try await c.store.saveRequestTokens([])
        c.checkEqual(empty, 0, "saveRequestTokens of no tokens")

        let existing = c.requestToken("batch-existing", ttl: .seconds(3600))
        try await c.store.saveRequestToken(existing)
        var replacement = c.requestToken("batch-existing", ttl: .seconds(120), context: RequestTokenContext(returnTo: "/replaced"))
        replacement.secret = "replaced-\(UUID())"
        let short = c.requestToken("batch-short", ttl: .seconds(60))
        let long = c.requestToken("batch-long", ttl: .seconds(7200))
        let expired = RequestToken(
            provider: c.prefix + "provider", token: c.prefix + "batch-expired", secret: "rs-\(UUID())",
            createdAt: c.clock.now.addingTimeInterval(-600), expiresAt: c.clock.now.addingTimeInterval(-1))
        let twiceFirst = c.requestToken("batch-twice", ttl: .seconds(60))
        var twiceSecond = c.requestToken("batch-twice", ttl: .seconds(3000), context: RequestTokenContext(callbackURL: "https://second"))
        twiceSecond.secret = "second-\(UUID())"
        let hostile = HostileCases.hostile.enumerated().map { index, value in
            RequestToken(
                provider: value, token: c.prefix + "batch-h\(index)-" + value, secret: value + "-secret",
                context: RequestTokenContext(
                    callbackURL: value, returnTo: value, sessionBinding: value, metadata: [value: value, "k\(index)": ""]),
                createdAt: c.clock.now, timeToLive: .seconds(900))
        }
        let batch = [short, replacement, long, expired, twiceFirst, twiceSecond] + hostile
        let written = try await c.store.saveRequestTokens(batch)
        c.checkEqual(written, batch.count, "saveRequestTokens must report every token of the batch as written")

        let live = [short, replacement, long, twiceSecond] + hostile
        let listed = try await c.walkRequestTokens(limit: 7)
        c.checkEqual(listed.count, live.count, "listing after a batch: count of unexpired tokens")
        c.checkEqual(Set(listed), Set(live), "listing after a batch differs from the saved tokens (replaced, last of a name, expiry)")
        let counted = try await c.store.counts().requestTokens
        c.check(counted >= live.count, "counts after a batch: \(counted) request tokens, expected at least \(live.count)")
        let takenExpired = try await c.store.takeRequestToken(expired.token)
        c.check(takenExpired == nil, "a token saved already expired in a batch was returned")

        // Each token keeps its own expiresAt: at +60 s the short one and the first of the
        // twice-named pair would be gone; the others are still there.
        c.clock.set(short.expiresAt)
        let takenShort = try await c.store.takeRequestToken(short.token)
        c.check(takenShort == nil, "a batch token was returned at its expiresAt")
        let takenReplacement = try await c.store.takeRequestToken(replacement.token)
        c.checkEqual(takenReplacement, replacement, "a batch did not replace the existing token (or changed its expiresAt)")
        let takenTwice = try await c.store.takeRequestToken(twiceSecond.token)
        c.checkEqual(takenTwice, twiceSecond, "a name given twice in one batch did not end as the later token")
        for token in hostile {
            let taken = try await c.store.takeRequestToken(token.token)
            c.checkEqual(taken, token, "batch request token \(token.token.debugDescription) did not roundtrip")
        }
        c.clock.set(long.expiresAt.addingTimeInterval(-0.001))
        let takenLong = try await c.store.takeRequestToken(long.token)
        c.checkEqual(takenLong, long, "a batch token 1 ms before its expiresAt was not returned")
    }
}
