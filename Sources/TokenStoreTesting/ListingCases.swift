import Foundation
import TokenStoreKit

/// Keyset listing of access tokens: every page size, concurrent inserts, bad limits.
enum ListingCases {
    static func pages(_ c: ConformanceContext) async throws {
        // Keys chosen so byte order differs from naive orders: case, lengths, non-ASCII,
        // a provider that is a prefix of another, and an empty user id.
        let userIDs = ["", "0", "00", "1", "10", "9", "A", "Z", "a", "aa", "z", "é", "ß", "日本", "🙂", "~"]
        var tokens: [AccessToken] = []
        for provider in ["a", "ab", "b", "B"] {
            for userID in userIDs { tokens.append(c.accessToken(provider, userID: userID)) }
        }
        for token in tokens.shuffled() { try await c.store.saveAccessToken(token) }
        let expected = tokens.sorted { $0.key < $1.key }
        for limit in [1, 2, 3, 7, 16, 64, 1000] {
            let listed = try await c.walkAccessTokens(limit: limit)
            c.checkEqual(listed.map(\.key), expected.map(\.key), "listing with limit \(limit) must give every token once, in key order")
            c.check(listed == expected, "listed tokens differ from saved ones in some field (limit \(limit))")
        }
        // From the very start (other tokens may share the storage): at most `limit`, ascending.
        let first = try await c.store.listAccessTokens(after: nil, limit: 3)
        c.check(first.tokens.count <= 3, "a first page of limit 3 held \(first.tokens.count) tokens")
        c.check(zip(first.tokens, first.tokens.dropFirst()).allSatisfy { $0.key < $1.key }, "the first page is not ascending")
        let firstRequests = try await c.store.listRequestTokens(after: nil, limit: 3)
        c.check(firstRequests.tokens.count <= 3, "a first request token page of limit 3 held \(firstRequests.tokens.count)")
        // A cursor that names no stored key starts right after it.
        let page = try await c.store.listAccessTokens(after: AccessTokenKey(provider: c.prefix + "a", userID: "0~"), limit: 2)
        c.checkEqual(page.tokens.map(\.key.userID), ["1", "10"], "listing after a key that is not stored")
    }

    static func underInserts(_ c: ConformanceContext) async throws {
        let present = (0..<60).map { c.accessToken(userID: String(format: "m%03d", $0)) }
        for token in present { try await c.store.saveAccessToken(token) }
        let presentKeys = Set(present.map(\.key))
        let store = c.store
        let context = c
        let (listed, inserted) = try await withThrowingTaskGroup(of: ([AccessToken]?, Int).self) { group in
            group.addTask {
                // Insert before, between and after the keys being walked, while the walk runs.
                for round in 0..<200 {
                    let userID: String
                    switch round % 3 {
                    case 0: userID = String(format: "a%03d", round)
                    case 1: userID = String(format: "m%03dx%03d", round % 60, round)
                    default: userID = String(format: "z%03d", round)
                    }
                    try await store.saveAccessToken(context.accessToken(userID: userID))
                    if round % 4 == 0 { await Task.yield() }
                }
                return (nil, 200)
            }
            group.addTask {
                (try await context.walkAccessTokens(limit: 7, between: { await Task.yield() }), 0)
            }
            var walk: [AccessToken] = []
            var inserted = 0
            for try await (result, count) in group {
                if let result { walk = result }
                inserted += count
            }
            return (walk, inserted)
        }
        let keys = listed.map(\.key)
        c.checkEqual(Set(keys).count, keys.count, "a key was listed twice while others were inserted")
        let missing = presentKeys.subtracting(keys)
        c.check(missing.isEmpty, "\(missing.count) tokens present for the whole walk were skipped, e.g. \(missing.first.map(String.init(describing:)) ?? "")")
        c.check(inserted == 200, "the concurrent inserter did not finish")
        let final = try await c.walkAccessTokens(limit: 50)
        c.checkEqual(final.count, 260, "after the inserts the listing holds the 60 tokens and the 200 inserted")
    }

    static func invalidLimit(_ c: ConformanceContext) async throws {
        for limit in [0, -1, Int.min] {
            await c.expectError(.invalidArgument, "listAccessTokens(limit: \(limit))") {
                _ = try await c.store.listAccessTokens(after: nil, limit: limit)
            }
            await c.expectError(.invalidArgument, "listRequestTokens(limit: \(limit))") {
                _ = try await c.store.listRequestTokens(after: nil, limit: limit)
            }
        }
    }
}
