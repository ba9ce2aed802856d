import Foundation
import TokenStoreKit

/// Access tokens: upsert rules, get, delete, `.ifNewer`, batches, optional fields.
enum AccessTokenCases {
    static func upsert(_ c: ConformanceContext) async throws {
        let original = AccessToken(
            provider: c.prefix + "p", userID: "42", token: "t1", secret: "s1-\(UUID())",
            screenName: "alice", accessType: "read", createdAt: c.clock.now, metadata: ["k": "v"])
        let wrote = try await c.store.saveAccessToken(original, policy: .overwrite)
        c.check(wrote, "inserting a new token reported not written")
        let read = try await c.store.accessToken(for: original.key)
        c.checkEqual(read, original, "get after insert")

        c.clock.advance(by: .seconds(5))
        let update = AccessToken(
            provider: original.provider, userID: "42", token: "t2", secret: "s2-\(UUID())",
            screenName: "alice2", accessType: "write", createdAt: c.clock.now, updatedAt: c.clock.now,
            metadata: ["k2": "v2"])
        let updated = try await c.store.saveAccessToken(update)
        c.check(updated, "overwrite reported not written")
        let after = try await c.store.accessToken(provider: original.provider, userID: "42")
        var expected = update
        expected.createdAt = original.createdAt
        c.checkEqual(after, expected, "overwrite must keep the stored createdAt and take every other field")
        c.check(after?.updatedAt != original.updatedAt, "updatedAt did not change on overwrite")
    }

    static func getDelete(_ c: ConformanceContext) async throws {
        let token = c.accessToken(userID: "u1")
        let other = c.accessToken(userID: "u2")
        try await c.store.saveAccessToken(token)
        try await c.store.saveAccessToken(other)
        let missing = try await c.store.accessToken(for: AccessTokenKey(provider: c.prefix + "p", userID: "nobody"))
        c.check(missing == nil, "get of an unknown key returned a token")
        let wrongProvider = try await c.store.accessToken(for: AccessTokenKey(provider: c.prefix + "q", userID: "u1"))
        c.check(wrongProvider == nil, "get with another provider returned a token")
        let deleted = try await c.store.deleteAccessToken(for: token.key)
        c.check(deleted, "delete of a stored token returned false")
        let deletedAgain = try await c.store.deleteAccessToken(for: token.key)
        c.check(!deletedAgain, "second delete returned true")
        let gone = try await c.store.accessToken(for: token.key)
        c.check(gone == nil, "get after delete returned a token")
        let kept = try await c.store.accessToken(for: other.key)
        c.checkEqual(kept, other, "delete removed another user's token")
    }

    static func ifNewer(_ c: ConformanceContext) async throws {
        let base = c.clock.now
        let stored = c.accessToken(userID: "u", updatedAt: base)
        try await c.store.saveAccessToken(stored, policy: .ifNewer)
        var older = stored
        older.secret = "older-\(UUID())"
        older.updatedAt = base.addingTimeInterval(-10)
        let wroteOlder = try await c.store.saveAccessToken(older, policy: .ifNewer)
        c.check(!wroteOlder, ".ifNewer wrote a token with an older updatedAt")
        var same = stored
        same.secret = "same-\(UUID())"
        let wroteSame = try await c.store.saveAccessToken(same, policy: .ifNewer)
        c.check(!wroteSame, ".ifNewer wrote a token with an equal updatedAt")
        let afterOlder = try await c.store.accessToken(for: stored.key)
        c.check(afterOlder?.secret == stored.secret, ".ifNewer replaced the stored token with an older one")

        var newer = stored
        newer.secret = "newer-\(UUID())"
        newer.updatedAt = base.addingTimeInterval(10)
        let wroteNewer = try await c.store.saveAccessToken(newer, policy: .ifNewer)
        c.check(wroteNewer, ".ifNewer did not write a newer token")
        let afterNewer = try await c.store.accessToken(for: stored.key)
        c.check(afterNewer?.secret == newer.secret, ".ifNewer did not store the newer token")
        c.checkEqual(afterNewer?.updatedAt, newer.updatedAt, ".ifNewer stored another updatedAt")

        let fresh = c.accessToken(userID: "fresh")
        let wroteFresh = try await c.store.saveAccessToken(fresh, policy: .ifNewer)
        c.check(wroteFresh, ".ifNewer did not insert a token that did not exist")
    }

    static func batch(_ c: ConformanceContext) async throws {
        let base = c.clock.now
        let first = (0..<5).map { c.accessToken(userID: "b\($0)", updatedAt: base) }
        let written = try await c.store.saveAccessTokens(first, policy: .overwrite)
        c.checkEqual(written, 5, "saveAccessTokens of 5 new tokens")
        let empty = try await c.store.saveAccessTokens([], policy: .overwrite)
        c.checkEqual(empty, 0, "saveAccessTokens of no tokens")

        // Two older (kept), two newer (written), one new.
        var mixed: [AccessToken] = []
        for (index, token) in first.prefix(4).enumerated() {
            var copy = token
            copy.secret = "batch-\(index)-\(UUID())"
            copy.updatedAt = base.addingTimeInterval(index < 2 ? -1 : 1)
            mixed.append(copy)
        }
        mixed.append(c.accessToken(userID: "b9", updatedAt: base))
        let writtenIfNewer = try await c.store.saveAccessTokens(mixed, policy: .ifNewer)
        c.checkEqual(writtenIfNewer, 3, "saveAccessTokens(.ifNewer) with 2 older, 2 newer and 1 new token")
        for (index, token) in mixed.enumerated() {
            let stored = try await c.store.accessToken(for: token.key)
            let expectedSecret = index < 2 ? first[index].secret : token.secret
            c.check(stored?.secret == expectedSecret, "batch token \(token.key) after .ifNewer")
        }
        let overwritten = try await c.store.saveAccessTokens(mixed, policy: .overwrite)
        c.checkEqual(overwritten, mixed.count, "saveAccessTokens(.overwrite) must write every token")
    }

    static func fields(_ c: ConformanceContext) async throws {
        let full = AccessToken(
            provider: c.prefix + "p", userID: "full", token: "tok", secret: "sec-\(UUID())",
            screenName: "Screen Name", accessType: "read-write",
            createdAt: Date(timeIntervalSince1970: 1_700_000_000.123456),
            updatedAt: Date(timeIntervalSince1970: 1_800_000_000.987654),
            metadata: ["user_id": "42", "x_auth_expires": "0", "": "empty key", "emptyvalue": ""])
        let bare = AccessToken(
            provider: c.prefix + "p", userID: "bare", token: "", secret: "",
            createdAt: Date(timeIntervalSince1970: 0))
        try await c.store.saveAccessToken(full)
        try await c.store.saveAccessToken(bare)
        let readFull = try await c.store.accessToken(for: full.key)
        c.checkEqual(readFull, full, "every field, metadata and millisecond timestamps must roundtrip")
        let readBare = try await c.store.accessToken(for: bare.key)
        c.checkEqual(readBare, bare, "nil screenName/accessType, empty token/secret/metadata and the epoch must roundtrip")
        c.check(readBare?.screenName == nil && readBare?.accessType == nil, "nil optional fields came back non-nil")
    }
}
