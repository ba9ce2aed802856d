import Foundation
import Testing
import TokenStoreKit

/// What a case works with: its store, its clock, its unique prefix and where to report.
struct ConformanceContext: Sendable {
    let driver: String
    let caseName: String
    let store: any TokenStore
    let clock: ManualTokenClock
    let capabilities: TokenStoreConformance.Capabilities
    let makeStore: @Sendable (_ clock: TokenClock) async throws -> any TokenStore
    let sourceLocation: SourceLocation
    /// A prefix no other case or run shares: every provider and request token of the case
    /// starts with it.
    let prefix: String

    init(
        driver: String, caseName: String, store: any TokenStore, clock: ManualTokenClock,
        capabilities: TokenStoreConformance.Capabilities,
        makeStore: @escaping @Sendable (_ clock: TokenClock) async throws -> any TokenStore,
        sourceLocation: SourceLocation
    ) {
        self.driver = driver
        self.caseName = caseName
        self.store = store
        self.clock = clock
        self.capabilities = capabilities
        self.makeStore = makeStore
        self.sourceLocation = sourceLocation
        self.prefix = "ct-" + UUID().uuidString.prefix(13).lowercased() + "-"
    }

    /// Records a failure when `condition` is false.
    func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        #expect(condition, "\(driver) [\(caseName)]: \(message())", sourceLocation: sourceLocation)
    }

    /// Records a failure when `actual` differs from `expected`.
    func checkEqual<T: Equatable>(_ actual: T, _ expected: T, _ message: @autoclosure () -> String) {
        #expect(actual == expected, "\(driver) [\(caseName)]: \(message())", sourceLocation: sourceLocation)
    }

    /// Records a failure.
    func fail(_ message: String) {
        Issue.record("\(driver) [\(caseName)]: \(message)", sourceLocation: sourceLocation)
    }

    /// Runs `body` expecting a ``TokenStoreError`` with `code`; returns it.
    @discardableResult
    func expectError(
        _ code: TokenStoreError.Code, _ what: String, _ body: () async throws -> Void
    ) async -> TokenStoreError? {
        do {
            try await body()
            fail("\(what): expected a \(code) error, but it succeeded")
        } catch let error as TokenStoreError {
            checkEqual(error.code, code, "\(what): expected \(code), got \(error)")
            return error
        } catch {
            fail("\(what): expected a TokenStoreError (\(code)), got \(String(reflecting: error))")
        }
        return nil
    }

    /// A request token named `prefix + suffix`, created now and expiring after `ttl`.
    func requestToken(
        _ suffix: String, ttl: Duration = RequestToken.defaultTimeToLive,
        context: RequestTokenContext = RequestTokenContext()
    ) -> RequestToken {
        RequestToken(
            provider: prefix + "provider", token: prefix + suffix, secret: "rs-" + UUID().uuidString,
            context: context, createdAt: clock.now, timeToLive: ttl)
    }

    /// An access token of `userID` at provider `prefix + provider`.
    func accessToken(_ provider: String = "p", userID: String, updatedAt: Date? = nil) -> AccessToken {
        AccessToken(
            provider: prefix + provider, userID: userID, token: "at-" + UUID().uuidString,
            secret: "as-" + UUID().uuidString, createdAt: clock.now, updatedAt: updatedAt)
    }

    /// A token set of `userID` at provider `prefix + provider`, expiring in an hour, with a
    /// refresh token.
    func tokenSet(_ provider: String = "p", userID: String, updatedAt: Date? = nil) -> OAuth2TokenSet {
        OAuth2TokenSet(
            provider: prefix + provider, userID: userID, accessToken: "oa-" + UUID().uuidString,
            expiresAt: clock.now.addingTimeInterval(3600), refreshToken: "or-" + UUID().uuidString,
            createdAt: clock.now, updatedAt: updatedAt)
    }

    /// Walks the access tokens whose provider starts with the case's prefix, `limit` per
    /// page, checking each page's size and order.
    func walkAccessTokens(limit: Int, between: (@Sendable () async throws -> Void)? = nil) async throws -> [AccessToken] {
        var cursor: AccessTokenKey? = AccessTokenKey(provider: prefix, userID: "")
        var result: [AccessToken] = []
        var pages = 0
        walk: while let current = cursor {
            let page = try await store.listAccessTokens(after: current, limit: limit)
            pages += 1
            check(page.tokens.count <= limit, "a page of limit \(limit) held \(page.tokens.count) tokens")
            var previous = current
            for token in page.tokens {
                check(previous < token.key, "listing not ascending or repeated the cursor: \(previous) then \(token.key)")
                previous = token.key
                guard token.provider.hasPrefix(prefix) else { break walk }
                result.append(token)
            }
            if page.tokens.isEmpty && page.nextCursor != nil {
                fail("an empty page returned a next cursor (\(String(describing: page.nextCursor)))")
                break
            }
            cursor = page.nextCursor
            if pages > 100_000 { fail("listing did not end"); break }
            try await between?()
        }
        return result
    }

    /// Walks the unexpired request tokens whose name starts with the case's prefix.
    func walkRequestTokens(limit: Int) async throws -> [RequestToken] {
        var cursor: String? = prefix
        var result: [RequestToken] = []
        var pages = 0
        walk: while let current = cursor {
            let page = try await store.listRequestTokens(after: current, limit: limit)
            pages += 1
            check(page.tokens.count <= limit, "a request token page of limit \(limit) held \(page.tokens.count)")
            var previous = current
            for token in page.tokens {
                check(
                    previous.utf8.lexicographicallyPrecedes(token.token.utf8),
                    "request token listing not ascending: \(previous) then \(token.token)")
                previous = token.token
                guard token.token.hasPrefix(prefix) else { break walk }
                result.append(token)
            }
            cursor = page.nextCursor
            if pages > 100_000 { fail("request token listing did not end"); break }
        }
        return result
    }
}

extension String {
    /// Whether `self` sorts before `other` by UTF-8 bytes.
    func bytePrecedes(_ other: String) -> Bool { utf8.lexicographicallyPrecedes(other.utf8) }
}
