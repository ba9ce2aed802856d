import CoreMetrics
import Foundation
import Logging
import OAuth1

/// Runs the OAuth 2.0 authorization code grant with PKCE against one provider, refreshes
/// and revokes its tokens, and sends requests with them.
///
/// ```swift
/// let client = OAuth2Client(
///     credentials: OAuth2ClientCredentials(id: clientID, secret: clientSecret),
///     endpoints: .x,
///     redirectURI: URL(string: "https://app.example/oauth2/callback")!)
/// let pending = try client.authorizationRequest(scopes: ["tweet.read", "users.read", "offline.access"])
/// // keep `pending` (state, verifier) until the callback; redirect the user to pending.url
/// // ... at the callback:
/// let callback = try OAuth2Callback(url: callbackURL)          // error=access_denied throws
/// let tokens = try await client.exchange(callback, for: pending)
/// let me = try await client.send(OAuth1HTTPRequest(url: apiURL), accessToken: tokens.accessToken)
/// // ... later:
/// let fresh = try await client.refresh(refreshToken: tokens.refreshToken!)
/// ```
///
/// The HTTP layer is `OAuth1`'s: any `OAuth1Transport` (`URLSessionTransport` by default,
/// which never follows redirects), `OAuth1HTTPRequest` and `OAuth1HTTPResponse`.
///
/// Every failure is an ``OAuth2Error``; no message or log line carries a secret.
public struct OAuth2Client: Sendable {
    /// The app's client id, secret and authentication method.
    public var credentials: OAuth2ClientCredentials
    /// The provider's endpoints.
    public var endpoints: OAuth2ProviderEndpoints
    /// The default `redirect_uri`, registered with the provider.
    public var redirectURI: URL
    /// Sends the HTTP requests.
    public var transport: any OAuth1Transport
    /// How long one HTTP exchange may take.
    public var timeout: Duration
    /// The time source for ``OAuth2TokenResponse/issuedAt`` and expiries.
    public var clock: OAuth2Clock
    /// Where the flow is logged (endpoints and outcomes, never secrets).
    public var logger: Logger
    /// Where token requests are counted (`tokenstore_oauth2_token_requests_total`, see
    /// Docs/metrics.md); `nil` is the factory `MetricsSystem.bootstrap` set.
    public var metricsFactory: (any MetricsFactory)?

    /// The parameters of the authorization URL the client sets itself; an extra parameter
    /// may not repeat one.
    public static let reservedAuthorizationParameters: Set<String> = [
        "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
    ]

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - credentials: the client id (and secret, and how to send it) the provider issued.
    ///   - endpoints: the provider's authorization, token and revocation URLs.
    ///   - redirectURI: where the provider sends the user back; must be registered with it.
    ///   - transport: sends the HTTP requests; URLSession by default.
    ///   - timeout: for each HTTP exchange; 30 seconds by default.
    ///   - clock: the time source; the system clock by default.
    ///   - logger: a disabled logger by default.
    public init(
        credentials: OAuth2ClientCredentials,
        endpoints: OAuth2ProviderEndpoints,
        redirectURI: URL,
        transport: any OAuth1Transport = URLSessionTransport.shared,
        timeout: Duration = .seconds(30),
        clock: OAuth2Clock = .system,
        logger: Logger = Logger(label: "oauth2", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.credentials = credentials
        self.endpoints = endpoints
        self.redirectURI = redirectURI
        self.transport = transport
        self.timeout = timeout
        self.clock = clock
        self.logger = logger
    }

    // MARK: Authorization

    /// Starts an authorization: a fresh `state` and PKCE verifier from the CSPRNG, and the
    /// URL to send the user to.
    ///
    /// - Parameters:
    ///   - scopes: the scopes to ask for, sent space-separated (none: the provider's default).
    ///   - redirectURI: this authorization's redirect URI (an RFC 8252 loopback URI with an
    ///     ephemeral port); the client's ``redirectURI`` by default.
    ///   - extraParameters: more query parameters (`access_type=offline`, `prompt=consent`).
    /// - Throws: ``OAuth2Error/Code/invalidInput`` when an extra parameter repeats one of
    ///   ``reservedAuthorizationParameters``, ``OAuth2Error/Code/randomSourceFailed``.
    public func authorizationRequest(
        scopes: [String] = [], redirectURI: URL? = nil, extraParameters: [OAuth1Parameter] = []
    ) throws -> OAuth2AuthorizationRequest {
        let state = try OAuth2Random.urlSafeString(byteCount: OAuth2AuthorizationRequest.stateByteCount, purpose: "state")
        let pkce = try OAuth2PKCE.generate()
        let redirect = redirectURI ?? self.redirectURI
        let url = try authorizationURL(
            state: state, pkce: pkce, scopes: scopes, redirectURI: redirect, extraParameters: extraParameters)
        return OAuth2AuthorizationRequest(url: url, state: state, pkce: pkce, redirectURI: redirect, scopes: scopes)
    }

    /// The authorization URL for a given `state` and PKCE pair (RFC 6749 section 4.1.1,
    /// RFC 7636 section 4.3): `response_type=code`, `client_id`, `redirect_uri`, `scope`,
    /// `state`, `code_challenge`, `code_challenge_method=S256`, then `extraParameters`,
    /// appended to any query the endpoint URL already has.
    ///
    /// - Throws: ``OAuth2Error/Code/invalidInput`` for an empty state or a reserved extra parameter.
    public func authorizationURL(
        state: String, pkce: OAuth2PKCE, scopes: [String], redirectURI: URL? = nil,
        extraParameters: [OAuth1Parameter] = []
    ) throws -> URL {
        guard !state.isEmpty else { throw OAuth2Error(.invalidInput, message: "the state is empty") }
        if let reserved = extraParameters.first(where: { Self.reservedAuthorizationParameters.contains($0.name) }) {
            throw OAuth2Error(
                .invalidInput,
                message: "the extra authorization parameter \(reserved.name) is set by the client itself")
        }
        var query = [
            OAuth1Parameter(name: "response_type", value: "code"),
            OAuth1Parameter(name: "client_id", value: credentials.id),
            OAuth1Parameter(name: "redirect_uri", value: (redirectURI ?? self.redirectURI).absoluteString),
        ]
        if !scopes.isEmpty { query.append(OAuth1Parameter(name: "scope", value: scopes.joined(separator: " "))) }
        query += [
            OAuth1Parameter(name: "state", value: state),
            OAuth1Parameter(name: "code_challenge", value: pkce.challenge),
            OAuth1Parameter(name: "code_challenge_method", value: pkce.method),
        ]
        return Self.appending(query + extraParameters, to: endpoints.authorizationURL)
    }

    // MARK: Tokens

    /// Checks that `callback` completes `request` (its `state`, and its `iss` when the
    /// endpoints name an ``OAuth2ProviderEndpoints/issuer``), then exchanges the code with
    /// the request's PKCE verifier and redirect URI.
    ///
    /// - Throws: ``OAuth2Error/Code/stateMismatch``, ``OAuth2Error/Code/issuerMismatch``, or
    ///   as ``exchange(code:codeVerifier:redirectURI:)``.
    public func exchange(_ callback: OAuth2Callback, for request: OAuth2AuthorizationRequest) async throws
        -> OAuth2TokenResponse
    {
        try callback.validate(matches: request, issuer: endpoints.issuer)
        return try await exchange(code: callback.code, codeVerifier: request.pkce.verifier, redirectURI: request.redirectURI)
    }

    /// Exchanges an authorization code for tokens (RFC 6749 section 4.1.3, RFC 7636 section 4.5).
    ///
    /// - Parameters:
    ///   - code: the code from the callback.
    ///   - codeVerifier: the PKCE verifier of the authorization.
    ///   - redirectURI: the redirect URI the authorization used; the client's by default.
    /// - Throws: ``OAuth2Error``: the provider's error (``OAuth2Error/Code/invalidGrant`` for a
    ///   used, expired or foreign code, or a wrong verifier or redirect URI;
    ///   ``OAuth2Error/Code/invalidClient``, ...), ``OAuth2Error/Code/providerRejected``,
    ///   ``OAuth2Error/Code/malformedResponse``, ``OAuth2Error/Code/unexpectedTokenType``,
    ///   ``OAuth2Error/Code/invalidInput`` for an empty code or a malformed verifier, or a
    ///   transport error.
    public func exchange(code: String, codeVerifier: String, redirectURI: URL? = nil) async throws -> OAuth2TokenResponse {
        guard !code.isEmpty else { throw OAuth2Error(.invalidInput, message: "the authorization code is empty") }
        _ = try OAuth2PKCE(verifier: codeVerifier)
        let form = [
            OAuth1Parameter(name: "grant_type", value: "authorization_code"),
            OAuth1Parameter(name: "code", value: code),
            OAuth1Parameter(name: "redirect_uri", value: (redirectURI ?? self.redirectURI).absoluteString),
            OAuth1Parameter(name: "code_verifier", value: codeVerifier),
        ]
        return try await tokenRequest(form, operation: "code exchange", secrets: [code, codeVerifier])
    }

    /// Refreshes the access token (RFC 6749 section 6).
    ///
    /// When the provider issues no new refresh token, the answer carries `refreshToken`
    /// (still valid) with ``OAuth2TokenResponse/refreshTokenRotated`` `false`; store the
    /// answer's ``OAuth2TokenResponse/refreshToken`` whatever it is.
    ///
    /// - Parameters:
    ///   - refreshToken: the current refresh token.
    ///   - scopes: a narrower set of scopes, or `nil` for those already granted.
    /// - Throws: ``OAuth2Error``: ``OAuth2Error/Code/invalidGrant`` when the refresh token is
    ///   invalid, expired, revoked or was already used (the user must sign in again), or as
    ///   ``exchange(code:codeVerifier:redirectURI:)``.
    public func refresh(refreshToken: String, scopes: [String]? = nil) async throws -> OAuth2TokenResponse {
        guard !refreshToken.isEmpty else { throw OAuth2Error(.invalidInput, message: "the refresh token is empty") }
        var form = [
            OAuth1Parameter(name: "grant_type", value: "refresh_token"),
            OAuth1Parameter(name: "refresh_token", value: refreshToken),
        ]
        if let scopes, !scopes.isEmpty { form.append(OAuth1Parameter(name: "scope", value: scopes.joined(separator: " "))) }
        return try await tokenRequest(form, operation: "refresh", secrets: [refreshToken], previousRefreshToken: refreshToken)
    }

    /// Revokes a token (RFC 7009). Revoking a refresh token usually revokes its access
    /// tokens too. An unknown or already revoked token is not an error (RFC 7009 section 2.2).
    ///
    /// - Parameters:
    ///   - token: the access or refresh token.
    ///   - hint: which kind `token` is (`token_type_hint`), to speed up the provider's lookup.
    /// - Throws: ``OAuth2Error``: ``OAuth2Error/Code/unsupportedOperation`` when the provider
    ///   has no revocation endpoint, ``OAuth2Error/Code/unsupportedTokenType``,
    ///   ``OAuth2Error/Code/invalidClient``, ``OAuth2Error/Code/providerRejected`` (HTTP 503:
    ///   retry later, see ``OAuth2Error/isRetryable``), or a transport error.
    public func revoke(token: String, hint: OAuth2TokenTypeHint? = nil) async throws {
        guard let revocationURL = endpoints.revocationURL else {
            throw OAuth2Error(
                .unsupportedOperation, message: "\(Self.host(endpoints.tokenURL)) has no token revocation endpoint configured")
        }
        guard !token.isEmpty else { throw OAuth2Error(.invalidInput, message: "the token to revoke is empty") }
        var form = [OAuth1Parameter(name: "token", value: token)]
        if let hint { form.append(OAuth1Parameter(name: "token_type_hint", value: hint.rawValue)) }
        let reply = OAuth2TokenEndpointReply(
            operation: "revocation", host: Self.host(revocationURL), secrets: secrets(plus: [token]))
        let response = try await post(form, to: revocationURL, reply: reply)
        if let error = reply.error(in: response, fields: OAuth2TokenEndpointReply.fields(of: response)) {
            logger.info("provider refused the revocation", metadata: ["status": "\(response.status)", "host": "\(reply.host)"])
            throw error
        }
    }

    // MARK: Bearer requests

    /// `request` with `Authorization: Bearer <accessToken>` (RFC 6750 section 2.1),
    /// replacing any `Authorization` header it had.
    ///
    /// - Throws: ``OAuth2Error/Code/invalidInput`` when the token is empty or has characters
    ///   a header cannot carry (a space, a line break, non-ASCII).
    public static func authorizing(_ request: OAuth1HTTPRequest, accessToken: String) throws -> OAuth1HTTPRequest {
        guard OAuth2Text.isVisibleASCII(accessToken) else {
            throw OAuth2Error(
                .invalidInput, message: "the access token is empty or has characters an Authorization header cannot carry")
        }
        var authorized = request
        authorized.setHeader("Authorization", "Bearer " + accessToken)
        return authorized
    }

    /// Sends `request` with `accessToken` as a Bearer token. Returns the response whatever
    /// its status (a 401 means the token expired or was revoked: refresh, then retry once).
    ///
    /// - Throws: ``OAuth2Error/Code/invalidInput`` for an unusable token, or a transport error.
    public func send(_ request: OAuth1HTTPRequest, accessToken: String) async throws -> OAuth1HTTPResponse {
        let authorized = try Self.authorizing(request, accessToken: accessToken)
        return try await send(authorized, operation: "API request")
    }

    // MARK: HTTP

    /// The client secret and `extra`, to blank out of provider text.
    private func secrets(plus extra: [String]) -> [String] {
        extra + (credentials.secret.map { [$0] } ?? [])
    }

    private func tokenRequest(
        _ form: [OAuth1Parameter], operation: String, secrets extra: [String], previousRefreshToken: String? = nil
    ) async throws(OAuth2Error) -> OAuth2TokenResponse {
        let reply = OAuth2TokenEndpointReply(
            operation: operation, host: Self.host(endpoints.tokenURL), secrets: secrets(plus: extra))
        // Read before sending: the time on the wire counts against the token's lifetime.
        let issuedAt = clock.now()
        let grant = form.first { $0.name == "grant_type" }?.value ?? "unknown"
        do throws(OAuth2Error) {
            let response = try await post(form, to: endpoints.tokenURL, reply: reply)
            do throws(OAuth2Error) {
                let tokens = try reply.tokenResponse(from: response, issuedAt: issuedAt, previousRefreshToken: previousRefreshToken)
                logger.debug(
                    "token endpoint answered", metadata: ["operation": "\(operation)", "host": "\(reply.host)", "rotated": "\(tokens.refreshTokenRotated)"])
                OAuth2Metrics.countTokenRequest(grant: grant, host: reply.host, outcome: "ok", factory: metricsFactory)
                return tokens
            } catch {
                logger.info(
                    "token endpoint refused", metadata: ["operation": "\(operation)", "host": "\(reply.host)", "code": "\(error.code)", "status": "\(response.status)"])
                throw error
            }
        } catch {
            OAuth2Metrics.countTokenRequest(grant: grant, host: reply.host, outcome: OAuth2Metrics.outcome(error.code), factory: metricsFactory)
            throw error
        }
    }

    private func post(
        _ parameters: [OAuth1Parameter], to url: URL, reply: OAuth2TokenEndpointReply
    ) async throws(OAuth2Error) -> OAuth1HTTPResponse {
        var form = parameters
        var headers: OAuth1HTTPHeaders = [
            "Content-Type": "application/x-www-form-urlencoded",
            // GitHub answers form-encoded without it; every other provider answers JSON anyway.
            "Accept": "application/json",
        ]
        try OAuth2ClientAuthentication.apply(credentials, to: &form, headers: &headers)
        let request = OAuth1HTTPRequest(
            method: "POST", url: url, headers: headers, body: Data(OAuth1PercentEncoding.formEncode(form).utf8))
        logger.debug("calling the token endpoint", metadata: ["operation": "\(reply.operation)", "endpoint": "\(Self.host(url) + url.path)"])
        return try await send(request, operation: reply.operation)
    }

    /// Sends through the transport, mapping its failures to ``OAuth2Error``.
    private func send(_ request: OAuth1HTTPRequest, operation: String) async throws(OAuth2Error) -> OAuth1HTTPResponse {
        let host = Self.host(request.url)
        if Task.isCancelled {
            throw OAuth2Error(.cancelled, message: "the \(operation) to \(host) was cancelled before it was sent")
        }
        do {
            return try await transport.send(request, timeout: timeout)
        } catch let error as OAuth1Error {
            let code: OAuth2Error.Code =
                switch error.code {
                case .timedOut: .timedOut
                case .cancelled: .cancelled
                default: .transportFailure
                }
            throw OAuth2Error(code, message: "the \(operation) to \(host) failed: \(error.message)", underlying: error)
        } catch is CancellationError {
            throw OAuth2Error(.cancelled, message: "the \(operation) to \(host) was cancelled")
        } catch {
            throw OAuth2Error(.transportFailure, message: "the \(operation) to \(host) failed in the transport", underlying: error)
        }
    }

    /// `url` with `parameters` appended to its query, keeping any query it already has.
    static func appending(_ parameters: [OAuth1Parameter], to url: URL) -> URL {
        guard !parameters.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return url }
        let added = OAuth1PercentEncoding.formEncode(parameters)
        if let existing = components.percentEncodedQuery, !existing.isEmpty {
            components.percentEncodedQuery = existing + "&" + added
        } else {
            components.percentEncodedQuery = added
        }
        return components.url ?? url
    }

    static func host(_ url: URL) -> String { url.host ?? "the provider" }
}
