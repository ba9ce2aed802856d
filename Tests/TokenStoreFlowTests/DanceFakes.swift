import Foundation
import OAuth1
import Synchronization
import TokenStoreFlow
import TokenStoreKit

/// A provider kept in memory: issues request tokens, authorizes them for a user and
/// exchanges each once, like a real one but without HTTP.
final class DanceFakeProvider: Sendable {
    struct Grant: Sendable {
        var secret: String
        var verifier: String?
        var userID: String?
        var accessType: String?
    }

    private struct State {
        var next = 0
        var pending: [String: Grant] = [:]
        var exchanges = 0
    }
    private let state = Mutex(State())

    /// Fields the access-token response carries besides the credentials and `user_id`.
    let extraFields: [OAuth1Parameter]
    /// Whether the access-token response carries `user_id`.
    let returnsUserID: Bool
    let consumerSecret = "consumer-secret-" + UUID().uuidString

    init(returnsUserID: Bool = true, extraFields: [OAuth1Parameter] = [OAuth1Parameter("screen_name", "ada")]) {
        self.returnsUserID = returnsUserID
        self.extraFields = extraFields
    }

    var exchangeCount: Int { state.withLock { $0.exchanges } }

    func issue(accessType: String?) -> TokenCredentials {
        state.withLock { state in
            state.next += 1
            let token = TokenCredentials(
                token: "rt-\(state.next)-\(UUID().uuidString.prefix(6))", secret: "rt-secret-\(UUID().uuidString)")
            state.pending[token.token] = Grant(secret: token.secret, accessType: accessType)
            return token
        }
    }

    /// The user approves: returns the verifier the callback would carry.
    func approve(_ requestToken: String, userID: String = "1001") -> String? {
        state.withLock { state in
            guard state.pending[requestToken] != nil else { return nil }
            let verifier = "v-\(UUID().uuidString.prefix(8))"
            state.pending[requestToken]?.verifier = verifier
            state.pending[requestToken]?.userID = userID
            return verifier
        }
    }

    func exchange(_ requestToken: TokenCredentials, verifier: String) throws -> [OAuth1Parameter] {
        try state.withLock { state in
            state.exchanges += 1
            guard let grant = state.pending.removeValue(forKey: requestToken.token),
                grant.secret == requestToken.secret,
                grant.verifier == verifier, let userID = grant.userID
            else {
                throw OAuth1Error(
                    .providerRejected, message: "the provider rejected the token exchange", httpStatus: 401)
            }
            var fields = [
                OAuth1Parameter("oauth_token", "at-\(userID)-\(UUID().uuidString.prefix(6))"),
                OAuth1Parameter("oauth_token_secret", "at-secret-\(UUID().uuidString)"),
            ]
            if returnsUserID { fields.append(OAuth1Parameter("user_id", userID)) }
            return fields + extraFields
        }
    }
}

/// ``AuthorizationFlowClient`` over a ``DanceFakeProvider``.
struct DanceFakeClient: AuthorizationFlowClient {
    let provider: DanceFakeProvider
    var oauthCallback = "https://app.example/oauth/callback"

    func fetchRequestToken(accessType: String?) async throws -> TokenCredentials {
        provider.issue(accessType: accessType)
    }

    func authorizeURL(requestToken: TokenCredentials, options: AuthorizeOptions) throws -> URL {
        var text = "https://provider.example/oauth/" + (options.authenticate ? "authenticate" : "authorize")
        text += "?oauth_token=" + OAuth1PercentEncoding.encode(requestToken.token)
        if options.forceLogin { text += "&force_login=true" }
        if let name = options.screenName { text += "&screen_name=" + OAuth1PercentEncoding.encode(name) }
        guard let url = URL(string: text) else { throw OAuth1Error(.invalidRequest, message: "bad URL") }
        return url
    }

    func exchangeRequestToken(_ requestToken: TokenCredentials, verifier: String) async throws -> [OAuth1Parameter] {
        try provider.exchange(requestToken, verifier: verifier)
    }

    func signer(token: TokenCredentials) -> OAuth1Signer {
        OAuth1Signer(client: ClientCredentials(key: "consumer", secret: provider.consumerSecret), token: token)
    }

    func send(_ request: OAuth1HTTPRequest, signedWith token: TokenCredentials) async throws -> OAuth1HTTPResponse {
        let signed = try signer(token: token).sign(request)
        let authorization = signed.header(named: "Authorization") ?? ""
        return OAuth1HTTPResponse(status: authorization.contains(OAuth1PercentEncoding.encode(token.token)) ? 200 : 401)
    }

    /// The callback the provider would redirect to after `approve`.
    func callback(for start: AuthorizationStart, userID: String = "1001") -> String? {
        provider.approve(start.requestToken, userID: userID).map {
            oauthCallback + "?oauth_token=" + OAuth1PercentEncoding.encode(start.requestToken) + "&oauth_verifier=" + $0
        }
    }
}

/// A minimal store kept in memory that counts the calls made to it, so tests can assert
/// what the flow did (or did not) touch.
final class DanceSpyStore: TokenStore {
    private struct State {
        var requestTokens: [String: RequestToken] = [:]
        var accessTokens: [AccessTokenKey: AccessToken] = [:]
        var calls: [String: Int] = [:]
    }
    private let state = Mutex(State())
    let clock: TokenClock
    /// Token sets are not what these tests spy on: a reference store keeps them.
    private let tokenSets: InMemoryTokenStore

    init(clock: TokenClock = .system) {
        self.clock = clock
        self.tokenSets = InMemoryTokenStore(clock: clock)
    }

    var displayName: String { "spy:" }

    func calls(_ name: String) -> Int { state.withLock { $0.calls[name, default: 0] } }
    var totalCalls: Int { state.withLock { $0.calls.values.reduce(0, +) } }

    private func record(_ name: String) { state.withLock { $0.calls[name, default: 0] += 1 } }

    func saveRequestToken(_ token: RequestToken) async throws {
        record("saveRequestToken")
        state.withLock { $0.requestTokens[token.token] = token }
    }

    func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        record("takeRequestToken")
        let now = clock.now()
        return state.withLock { state in
            guard let token = state.requestTokens.removeValue(forKey: oauthToken), !token.isExpired(at: now) else {
                return nil
            }
            return token
        }
    }

    func purgeExpiredRequestTokens() async throws -> Int {
        record("purgeExpiredRequestTokens")
        let now = clock.now()
        return state.withLock { state in
            let expired = state.requestTokens.values.filter { $0.isExpired(at: now) }.map(\.token)
            for token in expired { state.requestTokens[token] = nil }
            return expired.count
        }
    }

    func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        record("listRequestTokens")
        let now = clock.now()
        let tokens = state.withLock { state in
            state.requestTokens.values.filter { !$0.isExpired(at: now) }
                .filter { token in
                    guard let cursor else { return true }
                    return cursor.utf8.lexicographicallyPrecedes(token.token.utf8)
                }
                .sorted { $0.token.utf8.lexicographicallyPrecedes($1.token.utf8) }
        }
        let page = Array(tokens.prefix(limit))
        return RequestTokenPage(tokens: page, nextCursor: tokens.count > limit ? page.last?.token : nil)
    }

    func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        record("saveAccessToken")
        return state.withLock { state in
            var written = token
            if let existing = state.accessTokens[token.key] {
                if policy == .ifNewer, existing.updatedAt >= token.updatedAt { return false }
                written.createdAt = existing.createdAt
            }
            state.accessTokens[token.key] = written
            return true
        }
    }

    func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        record("accessToken")
        return state.withLock { $0.accessTokens[key] }
    }

    func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        record("deleteAccessToken")
        return state.withLock { $0.accessTokens.removeValue(forKey: key) != nil }
    }

    func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        record("listAccessTokens")
        let tokens = state.withLock { state in
            state.accessTokens.values.filter { token in
                guard let cursor else { return true }
                return cursor < token.key
            }.sorted { $0.key < $1.key }
        }
        let page = Array(tokens.prefix(limit))
        return AccessTokenPage(tokens: page, nextCursor: tokens.count > limit ? page.last?.key : nil)
    }

    func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool { try await tokenSets.saveTokenSet(tokenSet, policy: policy) }
    func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? { try await tokenSets.tokenSet(for: key) }
    func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool { try await tokenSets.deleteTokenSet(for: key) }
    func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage { try await tokenSets.listTokenSets(after: cursor, limit: limit) }
    func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? { try await tokenSets.replaceTokenSet(tokenSet, ifVersion: expected) }
    func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool { try await tokenSets.acquireRefreshLease(for: key, owner: owner, duration: duration) }
    func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool { try await tokenSets.releaseRefreshLease(for: key, owner: owner) }
    func counts() async throws -> TokenCounts {
        let now = clock.now()
        return state.withLock { state in
            TokenCounts(
                requestTokens: state.requestTokens.values.filter { !$0.isExpired(at: now) }.count,
                accessTokens: state.accessTokens.count)
        }
    }

    func schemaVersion() async throws -> Int { 0 }

    func close() async throws {}
}
