import Foundation
import TokenStoreKit

/// OAuth 2.0 token sets: fields, upserts and versions, compare-and-set, refresh leases,
/// listing, and their independence from OAuth 1.0a access tokens under the same key.
enum TokenSetCases {
    static func roundTrip(_ c: ConformanceContext) async throws {
        let full = OAuth2TokenSet(
            provider: c.prefix + "p", userID: "full", accessToken: "oa-\(UUID())", tokenType: "bearer",
            expiresAt: c.clock.now.addingTimeInterval(3599.5), refreshToken: "or-\(UUID())",
            scope: "read write", idToken: "eyJ.\(UUID()).sig", screenName: "Zoë \"z\"\n",
            metadata: ["ext_expires_in": "3600", "ünïcode": "\u{1F600}", "empty": ""],
            createdAt: c.clock.now, updatedAt: c.clock.now.addingTimeInterval(1),
            invalidatedAt: c.clock.now.addingTimeInterval(2))
        let wrote = try await c.store.saveTokenSet(full, policy: .overwrite)
        c.check(wrote, "inserting a new token set reported not written")
        var expected = full
        expected.version = 1
        c.checkEqual(try await c.store.tokenSet(for: full.key), expected, "get after insert (every field, version 1)")

        let bare = OAuth2TokenSet(provider: c.prefix + "p", userID: "bare", accessToken: "oa-\(UUID())", createdAt: c.clock.now)
        try await c.store.saveTokenSet(bare)
        var expectedBare = bare
        expectedBare.version = 1
        c.checkEqual(try await c.store.tokenSet(for: bare.key), expectedBare, "a token set without optional fields")
        let missing = try await c.store.tokenSet(for: AccessTokenKey(provider: c.prefix + "p", userID: "nobody"))
        c.check(missing == nil, "get of an unknown key returned a token set")
    }

    static func upsert(_ c: ConformanceContext) async throws {
        let base = c.clock.now
        let original = c.tokenSet(userID: "u", updatedAt: base)
        try await c.store.saveTokenSet(original, policy: .overwrite)
        c.clock.advance(by: .seconds(5))
        var update = c.tokenSet(userID: "u", updatedAt: c.clock.now)
        update.version = 77  // ignored: the store assigns versions
        update.scope = "new"
        try await c.store.saveTokenSet(update)
        var expected = update
        expected.createdAt = original.createdAt
        expected.version = 2
        c.checkEqual(try await c.store.tokenSet(for: original.key), expected,
                     "overwrite must keep createdAt, take every other field and assign version 2")

        var older = update
        older.accessToken = "older"
        older.updatedAt = base
        let wroteOlder = try await c.store.saveTokenSet(older, policy: .ifNewer)
        c.check(!wroteOlder, ".ifNewer wrote a token set with an older updatedAt")
        let afterOlder = try await c.store.tokenSet(for: original.key)
        c.checkEqual(afterOlder?.version, 2, ".ifNewer that wrote nothing changed the version")
        c.checkEqual(afterOlder?.accessToken, update.accessToken, ".ifNewer replaced a newer token set")

        var newer = update
        newer.updatedAt = c.clock.now.addingTimeInterval(10)
        let wroteNewer = try await c.store.saveTokenSet(newer, policy: .ifNewer)
        c.check(wroteNewer, ".ifNewer did not write a newer token set")
        c.checkEqual(try await c.store.tokenSet(for: original.key)?.version, 3, "version after a third write")

        let batch = (0..<5).map { c.tokenSet(userID: "b\($0)", updatedAt: base) }
        let written = try await c.store.saveTokenSets(batch, policy: .ifNewer)
        c.checkEqual(written, 5, "batch insert of 5 new token sets")
        let rewritten = try await c.store.saveTokenSets(batch, policy: .ifNewer)
        c.checkEqual(rewritten, 0, "batch .ifNewer with equal updatedAt wrote token sets")
        for set in batch {
            c.checkEqual(try await c.store.tokenSet(for: set.key)?.accessToken, set.accessToken, "batch member \(set.userID)")
        }
    }

    static func getDelete(_ c: ConformanceContext) async throws {
        let set = c.tokenSet(userID: "shared")
        let other = c.tokenSet(userID: "other")
        // An OAuth 1.0a access token under the same key is a different record.
        let access = c.accessToken(userID: "shared")
        try await c.store.saveTokenSet(set)
        try await c.store.saveTokenSet(other)
        try await c.store.saveAccessToken(access)
        let deleted = try await c.store.deleteTokenSet(for: set.key)
        c.check(deleted, "delete of a stored token set returned false")
        let again = try await c.store.deleteTokenSet(for: set.key)
        c.check(!again, "second delete returned true")
        c.check(try await c.store.tokenSet(for: set.key) == nil, "get after delete returned a token set")
        c.checkEqual(try await c.store.accessToken(for: access.key), access,
                     "deleting a token set removed the access token under the same key")
        c.check(try await c.store.tokenSet(for: other.key) != nil, "delete removed another user's token set")
        try await c.store.saveTokenSet(set)
        try await c.store.deleteAccessToken(for: access.key)
        c.check(try await c.store.tokenSet(for: set.key) != nil,
                "deleting an access token removed the token set under the same key")
        c.checkEqual(try await c.store.tokenSet(for: set.key)?.version, 1, "a key saved again after delete starts at version 1")
    }

    static func compareAndSet(_ c: ConformanceContext) async throws {
        let stored = c.tokenSet(userID: "cas")
        try await c.store.saveTokenSet(stored)
        c.clock.advance(by: .seconds(1))
        var refreshed = c.tokenSet(userID: "cas", updatedAt: c.clock.now)
        refreshed.createdAt = c.clock.now
        let result = try await c.store.replaceTokenSet(refreshed, ifVersion: 1)
        var expected = refreshed
        expected.createdAt = stored.createdAt
        expected.version = 2
        c.checkEqual(result, expected, "replace at the stored version returns the new token set, version 2, createdAt kept")
        c.checkEqual(try await c.store.tokenSet(for: stored.key), expected, "get after replace")

        var stale = refreshed
        stale.accessToken = "stale"
        let lost = try await c.store.replaceTokenSet(stale, ifVersion: 1)
        c.check(lost == nil, "replace at an old version succeeded")
        c.checkEqual(try await c.store.tokenSet(for: stored.key)?.accessToken, refreshed.accessToken,
                     "a failed replace changed the stored token set")
        let ahead = try await c.store.replaceTokenSet(stale, ifVersion: 3)
        c.check(ahead == nil, "replace at a version not yet reached succeeded")
        let unknown = try await c.store.replaceTokenSet(c.tokenSet(userID: "never"), ifVersion: 0)
        c.check(unknown == nil, "replace of a key with no token set succeeded")
        c.check(try await c.store.tokenSet(for: AccessTokenKey(provider: c.prefix + "p", userID: "never")) == nil,
                "replace of an unknown key created a token set")

        // Sixteen writers that all read version 2: exactly one wins.
        let store = c.store
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<16 {
                var attempt = refreshed
                attempt.accessToken = "writer-\(index)"
                group.addTask { try await store.replaceTokenSet(attempt, ifVersion: 2) != nil }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        c.checkEqual(winners, 1, "16 concurrent replaces at one version must have exactly one winner")
        c.checkEqual(try await c.store.tokenSet(for: stored.key)?.version, 3, "version after the race")
    }

    static func refreshLease(_ c: ConformanceContext) async throws {
        let set = c.tokenSet(userID: "lease")
        let key = set.key
        let none = try await c.store.acquireRefreshLease(for: key, owner: "a", duration: .seconds(30))
        c.check(!none, "a lease was granted on a key with no token set")
        try await c.store.saveTokenSet(set)

        c.check(try await c.store.acquireRefreshLease(for: key, owner: "a", duration: .seconds(30)), "first lease refused")
        c.check(!(try await c.store.acquireRefreshLease(for: key, owner: "b", duration: .seconds(30))),
                "a second owner got a held lease")
        c.check(try await c.store.acquireRefreshLease(for: key, owner: "a", duration: .seconds(30)),
                "the holder could not extend its lease")
        c.check(!(try await c.store.releaseRefreshLease(for: key, owner: "b")), "another owner released the lease")
        c.check(!(try await c.store.acquireRefreshLease(for: key, owner: "b", duration: .seconds(30))),
                "a release by a non-holder freed the lease")
        c.check(try await c.store.releaseRefreshLease(for: key, owner: "a"), "the holder's release returned false")
        c.check(!(try await c.store.releaseRefreshLease(for: key, owner: "a")), "a second release returned true")
        c.check(try await c.store.acquireRefreshLease(for: key, owner: "b", duration: .seconds(30)),
                "a released lease could not be taken")

        // Expiry, by the store's clock: a holder that died delays others at most this long.
        c.clock.advance(by: .seconds(29))
        c.check(!(try await c.store.acquireRefreshLease(for: key, owner: "c", duration: .seconds(30))),
                "a lease was taken over before it expired")
        c.clock.advance(by: .seconds(2))
        c.check(try await c.store.acquireRefreshLease(for: key, owner: "c", duration: .seconds(30)),
                "an expired lease could not be taken over")
        c.check(!(try await c.store.releaseRefreshLease(for: key, owner: "b")),
                "the expired holder released its successor's lease")

        // A compare-and-set write releases the lease; so does a delete.
        let current = try await c.store.tokenSet(for: key)
        let replaced = try await c.store.replaceTokenSet(set, ifVersion: current?.version ?? -1)
        c.check(replaced != nil, "replace at the current version failed while a lease was held")
        c.check(try await c.store.acquireRefreshLease(for: key, owner: "d", duration: .seconds(30)),
                "replace did not release the lease")
        try await c.store.deleteTokenSet(for: key)
        try await c.store.saveTokenSet(set)
        c.check(try await c.store.acquireRefreshLease(for: key, owner: "e", duration: .seconds(30)),
                "delete did not remove the lease")
        // A plain save leaves the lease alone.
        try await c.store.saveTokenSet(set)
        c.check(!(try await c.store.acquireRefreshLease(for: key, owner: "f", duration: .seconds(30))),
                "a save released another owner's lease")

        for duration: Duration in [.zero, .seconds(-1), .seconds(3601)] {
            await c.expectError(.invalidArgument, "a lease of \(duration)") {
                _ = try await c.store.acquireRefreshLease(for: key, owner: "g", duration: duration)
            }
        }

        // Sixteen owners at once: exactly one gets it.
        let racing = c.tokenSet(userID: "lease-race")
        try await c.store.saveTokenSet(racing)
        let store = c.store
        let holders = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<16 {
                group.addTask {
                    try await store.acquireRefreshLease(for: racing.key, owner: "owner-\(index)", duration: .seconds(30))
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        c.checkEqual(holders, 1, "16 concurrent lease requests must have exactly one holder")
    }

    static func listing(_ c: ConformanceContext) async throws {
        let providers = ["a", "b", "b\u{E9}"]
        var saved: [OAuth2TokenSet] = []
        for provider in providers {
            for user in ["1", "10", "2", "z", "\u{00FC}"] {
                let set = c.tokenSet(provider, userID: user)
                try await c.store.saveTokenSet(set)
                saved.append(set)
            }
        }
        try await c.store.saveAccessToken(c.accessToken("a", userID: "only-oauth1"))
        var cursor: AccessTokenKey? = AccessTokenKey(provider: c.prefix, userID: "")
        var listed: [OAuth2TokenSet] = []
        var pages = 0
        while let current = cursor, pages < 100 {
            let page = try await c.store.listTokenSets(after: current, limit: 4)
            pages += 1
            c.check(page.tokenSets.count <= 4, "a page held \(page.tokenSets.count) token sets with limit 4")
            let mine = page.tokenSets.filter { $0.provider.hasPrefix(c.prefix) }
            listed += mine
            if mine.count < page.tokenSets.count { break }
            cursor = page.nextCursor
        }
        let expectedKeys = saved.map(\.key).sorted()
        c.checkEqual(listed.map(\.key), expectedKeys, "listing must return every token set once, in key byte order")
        c.check(!listed.contains { $0.userID == "only-oauth1" }, "an OAuth 1.0a access token was listed as a token set")
        await c.expectError(.invalidArgument, "listTokenSets with limit 0") {
            _ = try await c.store.listTokenSets(after: nil, limit: 0)
        }
    }

    static func counts(_ c: ConformanceContext) async throws {
        for attempt in 1...3 {
            let before = try await c.store.counts()
            let sets = (0..<3).map { c.tokenSet(userID: "n\(attempt)-\($0)") }
            for set in sets { try await c.store.saveTokenSet(set) }
            try await c.store.saveTokenSet(sets[0])
            let after = try await c.store.counts()
            try await c.store.deleteTokenSet(for: sets[1].key)
            let afterDelete = try await c.store.counts()
            let grew = after.tokenSets - before.tokenSets
            let fell = after.tokenSets - afterDelete.tokenSets
            if grew == 3, fell == 1, after.accessTokens == before.accessTokens { return }
            if attempt == 3 {
                c.fail("token set count grew by \(grew) after 3 inserts and 1 update, fell by \(fell) after 1 delete, "
                    + "access tokens \(before.accessTokens) -> \(after.accessTokens) (3 attempts; is another writer using the storage?)")
            }
        }
    }

    static func hostileValues(_ c: ConformanceContext) async throws {
        let values = ["", "'; DROP TABLE token_sets; --", "\"quoted\"\\", "new\nline\r\ttab", "\u{1F512}\u{0301}", "%00%s{}*?[]"]
        for (index, value) in values.enumerated() {
            var set = c.tokenSet(userID: value.isEmpty ? "empty-\(index)" : value)
            set.accessToken = "a" + value
            set.refreshToken = value
            set.scope = value
            set.tokenType = "Bearer" + value
            set.metadata = [value.isEmpty ? "k" : value: value]
            try await c.store.saveTokenSet(set)
            var expected = set
            expected.version = 1
            c.checkEqual(try await c.store.tokenSet(for: set.key), expected, "a token set holding \(value.debugDescription)")
        }
        var large = c.tokenSet(userID: "large")
        large.idToken = String(repeating: "j", count: 64 * 1024)
        large.accessToken = String(repeating: "a", count: 8 * 1024)
        try await c.store.saveTokenSet(large)
        var expected = large
        expected.version = 1
        c.checkEqual(try await c.store.tokenSet(for: large.key), expected, "a token set with a 64 KiB id token")
    }
}
