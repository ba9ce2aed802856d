import Foundation
import TokenStoreKit

/// Keys and values that break naive SQL, file names, Redis keys or string handling.
enum HostileCases {
    /// Strings every driver must store and return unchanged (no NUL: PostgreSQL text
    /// cannot hold it).
    static let hostile: [String] = [
        "'; DROP TABLE x; --", "\" OR 1=1 --", "%", "_", "%_%", "\\", "\\\\'", "'", "\"", "`",
        "🙂", "👩‍👩‍👧‍👦", "مرحبا", "\u{202E}evil", "e\u{0301}", "\u{0065}\u{0301}\u{0302}", "ﬁ",
        "\t", "\r\n", "\u{1}\u{7F}", "\u{1B}[31m",
        "../x", "/", "..", ".", "a/b\\c", "CON", "x.json", ".tmp",
        "{tag}", "*", "a b", "line\nbreak", "?", "[a-z]", "$1", "#", ":", "::", "\u{FEFF}",
    ]

    static func keys(_ c: ConformanceContext) async throws {
        var tokens: [AccessToken] = []
        for (index, value) in hostile.enumerated() {
            tokens.append(AccessToken(
                provider: c.prefix + value, userID: value, token: value, secret: "s\(index)-\(UUID())",
                screenName: value, accessType: value, createdAt: c.clock.now, metadata: [value: value]))
        }
        tokens.append(c.accessToken(userID: ""))
        for token in tokens { try await c.store.saveAccessToken(token) }
        for token in tokens {
            let read = try await c.store.accessToken(for: token.key)
            c.checkEqual(read, token, "hostile key \(token.key.userID.debugDescription) did not roundtrip")
        }
        let listed = try await c.walkAccessTokens(limit: 5)
        c.checkEqual(listed.map(\.key), tokens.map(\.key).sorted(), "listing of hostile keys must follow UTF-8 byte order")

        // Request tokens named by the same strings.
        for value in hostile {
            let token = RequestToken(
                provider: value, token: c.prefix + value, secret: value + "-secret",
                context: RequestTokenContext(callbackURL: value, returnTo: value, sessionBinding: value, metadata: [value: value]),
                createdAt: c.clock.now)
            try await c.store.saveRequestToken(token)
            let taken = try await c.store.takeRequestToken(token.token)
            c.checkEqual(taken, token, "request token named \(value.debugDescription) did not roundtrip")
        }
        for token in tokens {
            let deleted = try await c.store.deleteAccessToken(for: token.key)
            c.check(deleted, "delete of hostile key \(token.key.userID.debugDescription) failed")
        }
        // Wildcards must not match other keys.
        let plain = c.accessToken("w", userID: "abc")
        try await c.store.saveAccessToken(plain)
        for pattern in ["%", "_bc", "a%", "*", "ab?", "[a]bc"] {
            let read = try await c.store.accessToken(for: AccessTokenKey(provider: plain.provider, userID: pattern))
            c.check(read == nil, "get with the pattern \(pattern.debugDescription) matched another key")
            let deleted = try await c.store.deleteAccessToken(for: AccessTokenKey(provider: plain.provider, userID: pattern))
            c.check(!deleted, "delete with the pattern \(pattern.debugDescription) deleted another key")
        }
        let taken = try await c.store.takeRequestToken(c.prefix + "%")
        c.check(taken == nil, "take of a wildcard name returned a token")
        let stillThere = try await c.store.accessToken(for: plain.key)
        c.checkEqual(stillThere, plain, "a wildcard get/delete touched another key")
    }

    static func values(_ c: ConformanceContext) async throws {
        let joined = hostile.joined(separator: "|")
        let token = AccessToken(
            provider: c.prefix + "p", userID: "values", token: joined, secret: joined,
            screenName: joined, accessType: joined, createdAt: c.clock.now,
            metadata: Dictionary(uniqueKeysWithValues: hostile.enumerated().map { ("k\($0.offset)-" + $0.element, $0.element) }))
        try await c.store.saveAccessToken(token)
        let read = try await c.store.accessToken(for: token.key)
        c.checkEqual(read, token, "hostile values did not roundtrip")
        let listed = try await c.walkAccessTokens(limit: 10)
        c.check(listed == [token], "listing changed hostile values")
    }

    static func large(_ c: ConformanceContext) async throws {
        let big = String(repeating: "x🙂'\"\\%\n", count: 65_536 / 8)
        let token = AccessToken(
            provider: c.prefix + "p", userID: "large", token: big, secret: big, screenName: big, accessType: big,
            createdAt: c.clock.now, metadata: ["big": big, "big2": big])
        try await c.store.saveAccessToken(token)
        let read = try await c.store.accessToken(for: token.key)
        c.check(read == token, "64 KiB values did not roundtrip")
        let request = RequestToken(
            provider: c.prefix, token: c.prefix + "large", secret: big,
            context: RequestTokenContext(callbackURL: big, returnTo: big, sessionBinding: big, metadata: ["big": big]),
            createdAt: c.clock.now)
        try await c.store.saveRequestToken(request)
        let taken = try await c.store.takeRequestToken(request.token)
        c.check(taken == request, "a request token with 64 KiB values did not roundtrip")
        let longKey = AccessToken(
            provider: c.prefix + "p", userID: String(repeating: "u", count: 1024), token: "t", secret: "s", createdAt: c.clock.now)
        try await c.store.saveAccessToken(longKey)
        let readLong = try await c.store.accessToken(for: longKey.key)
        c.checkEqual(readLong, longKey, "a 1 KiB user id did not roundtrip")
    }
}
