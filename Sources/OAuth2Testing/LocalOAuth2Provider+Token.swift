import FlyingFox
import Foundation
import OAuth1
import OAuth2
import Synchronization

/// The token endpoint (RFC 6749 sections 4.1.3 and 6) and client authentication (2.3).
extension LocalOAuth2Provider {
    func token(_ request: Received) -> HTTPResponse {
        let client: Client
        switch authenticateClient(request) {
        case .success(let value): client = value
        case .failure(let failure): return failure.response
        }
        switch request.field("grant_type") {
        case "authorization_code": return exchangeCode(request, client: client)
        case "refresh_token": return refresh(request, client: client)
        case nil: return Self.oauthError(400, "invalid_request", "grant_type is required")
        default: return Self.oauthError(400, "unsupported_grant_type", "only authorization_code and refresh_token")
        }
    }

    // MARK: Grants

    private func exchangeCode(_ request: Received, client: Client) -> HTTPResponse {
        guard let code = request.field("code"), let redirectURI = request.field("redirect_uri"),
            let verifier = request.field("code_verifier")
        else { return Self.oauthError(400, "invalid_request", "code, redirect_uri and code_verifier are required") }
        let now = configuration.clock.now()
        let outcome: Result<LocalOAuth2ProviderState.IssuedCode, ResponseFailure> = state.withLock { state in
            guard var issued = state.codes[code] else { return .failure(invalidGrant(&state, "unknown code")) }
            if issued.used {
                // Section 4.1.2: a code presented twice revokes what it issued.
                if let family = issued.family, state.revoke(family: family) { state.counters.familyRevocations += 1 }
                return .failure(invalidGrant(&state, "the code was already used"))
            }
            issued.used = true
            state.codes[code] = issued
            guard issued.expiresAt > now else { return .failure(invalidGrant(&state, "the code has expired")) }
            guard issued.clientID == client.id else { return .failure(invalidGrant(&state, "the code was issued to another client")) }
            guard issued.redirectURI == redirectURI else {
                return .failure(invalidGrant(&state, "redirect_uri does not match the authorization request"))
            }
            guard OAuth2PKCE.verifier(verifier, matchesChallenge: issued.challenge) else {
                return .failure(invalidGrant(&state, "code_verifier does not match the code_challenge"))
            }
            return .success(issued)
        }
        switch outcome {
        case .failure(let failure): return failure.response
        case .success(let issued):
            guard let family = Self.randomToken("fam_") else { return Self.oauthError(500, "server_error", "no randomness") }
            state.withLock { $0.codes[code]?.family = family }
            return issue(client: client, user: issued.user, family: family, scopes: issued.scopes)
        }
    }

    private func refresh(_ request: Received, client: Client) -> HTTPResponse {
        guard let refreshToken = request.field("refresh_token"), !refreshToken.isEmpty else {
            return Self.oauthError(400, "invalid_request", "refresh_token is required")
        }
        let asked = request.field("scope").map { $0.split(separator: " ").map(String.init) }
        let outcome: Result<LocalOAuth2ProviderState.RefreshRecord, ResponseFailure> = state.withLock { state in
            guard var record = state.refreshTokens[refreshToken], record.clientID == client.id else {
                return .failure(invalidGrant(&state, "unknown refresh token"))
            }
            guard !state.revokedFamilies.contains(record.family) else {
                return .failure(invalidGrant(&state, "the refresh token was revoked"))
            }
            if record.rotated {
                // Reuse of a rotated refresh token: someone holds a copy. End the whole grant.
                if state.revoke(family: record.family) { state.counters.familyRevocations += 1 }
                return .failure(invalidGrant(&state, "the refresh token was already used; every token of its grant is revoked"))
            }
            if let asked, let extra = asked.first(where: { !record.scopes.contains($0) }) {
                return .failure(ResponseFailure(Self.oauthError(400, "invalid_scope", "scope \(extra) was not granted")))
            }
            record.rotated = true
            state.refreshTokens[refreshToken] = record
            state.counters.refreshesServed += 1
            if let asked { record.scopes = asked }
            return .success(record)
        }
        switch outcome {
        case .failure(let failure): return failure.response
        case .success(let record): return issue(client: client, user: record.user, family: record.family, scopes: record.scopes)
        }
    }

    /// Counts and builds an `invalid_grant` answer.
    private func invalidGrant(_ state: inout LocalOAuth2ProviderState, _ description: String) -> ResponseFailure {
        state.counters.invalidGrantAnswers += 1
        return ResponseFailure(Self.oauthError(400, "invalid_grant", description))
    }

    /// Issues a new access token and refresh token in `family`.
    private func issue(client: Client, user: User, family: String, scopes: [String]) -> HTTPResponse {
        guard let accessToken = Self.randomToken("at_"), let refreshToken = Self.randomToken("rt_") else {
            return Self.oauthError(500, "server_error", "no randomness")
        }
        let now = configuration.clock.now()
        // `expires_in` is whole seconds, at least one.
        let lifetime = max(1, configuration.accessTokenLifetime.components.seconds)
        state.withLock { state in
            state.accessTokens[accessToken] = LocalOAuth2ProviderState.AccessRecord(
                clientID: client.id, user: user, family: family, scopes: scopes,
                expiresAt: Self.adding(.seconds(lifetime), to: now))
            state.refreshTokens[refreshToken] = LocalOAuth2ProviderState.RefreshRecord(
                clientID: client.id, user: user, family: family, scopes: scopes)
            state.counters.tokensIssued += 1
        }
        var body: [String: any Sendable] = [
            "access_token": accessToken, "token_type": "bearer", "expires_in": lifetime, "refresh_token": refreshToken,
        ]
        if !scopes.isEmpty { body["scope"] = scopes.joined(separator: " ") }
        return Self.json(200, body)
    }

    // MARK: Client authentication

    /// The client the request authenticates as, by its registered method only.
    func authenticateClient(_ request: Received) -> Result<Client, ResponseFailure> {
        let header = request.headers.header(named: "Authorization")
        let basic: (id: String, secret: String)?
        if let header {
            guard header.count > 6, header.prefix(6).lowercased() == "basic ", let credentials = Self.basicCredentials(header)
            else { return .failure(Self.invalidClient("the Authorization header is not valid Basic credentials", basic: true)) }
            basic = credentials
        } else {
            basic = nil
        }
        let postedSecret = request.field("client_secret")
        if basic != nil && (postedSecret != nil || request.field("client_id").map { $0 != basic?.id } == true) {
            return .failure(ResponseFailure(Self.oauthError(400, "invalid_request", "use one client authentication method")))
        }
        guard let clientID = basic?.id ?? request.field("client_id"),
            let client = configuration.clients.first(where: { $0.id == clientID })
        else { return .failure(Self.invalidClient("unknown client", basic: basic != nil)) }
        let presented: String?
        switch client.authenticationMethod {
        case .none:
            guard basic == nil, postedSecret == nil else {
                return .failure(Self.invalidClient("this public client has no secret", basic: basic != nil))
            }
            return .success(client)
        case .clientSecretBasic:
            guard let basic else { return .failure(Self.invalidClient("this client authenticates with client_secret_basic", basic: true)) }
            presented = basic.secret
        case .clientSecretPost:
            guard basic == nil, let postedSecret else {
                return .failure(Self.invalidClient("this client authenticates with client_secret_post", basic: basic != nil))
            }
            presented = postedSecret
        }
        guard let expected = client.secret, let presented, OpenSSLCrypto.constantTimeEqual(expected, presented) else {
            return .failure(Self.invalidClient("wrong client secret", basic: basic != nil))
        }
        return .success(client)
    }

    private static func invalidClient(_ description: String, basic: Bool) -> ResponseFailure {
        ResponseFailure(oauthError(401, "invalid_client", description, basicChallenge: basic))
    }

    /// The id and secret of `Basic <base64(urlencode(id):urlencode(secret))>` (RFC 6749
    /// section 2.3.1), decoded strictly: canonical base64, and each half form-decoded.
    static func basicCredentials(_ header: String) -> (id: String, secret: String)? {
        guard let bytes = OAuth1Base64.decode(String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(bytes: bytes, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        func formDecoded(_ part: Substring) -> String? {
            // A form-encoded value has no raw `&` or `=`; one here means the client did not encode.
            guard !part.contains("&"), !part.contains("=") else { return nil }
            return (try? OAuth1PercentEncoding.parseForm("v=" + part))?.first(named: "v") ?? ""
        }
        guard let id = formDecoded(text[..<colon]), let secret = formDecoded(text[text.index(after: colon)...]) else {
            return nil
        }
        return (id, secret)
    }
}
