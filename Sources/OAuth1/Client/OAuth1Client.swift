import Foundation
import Logging

/// Runs the OAuth 1.0a dance with one provider and signs requests with its tokens.
///
/// ```swift
/// let client = OAuth1Client(
///     credentials: ClientCredentials(key: consumerKey, secret: consumerSecret),
///     callback: .url(URL(string: "https://app.example/oauth/callback")!),
///     endpoints: .twitter)
/// let temporary = try await client.requestToken()
/// let authorize = client.authorizationURL(for: temporary)    // redirect the user here
/// // ... at the callback:
/// let callback = try OAuth1Callback(url: callbackURL)
/// let access = try await client.accessToken(temporary: temporary, callback: callback)
/// let response = try await client.send(OAuth1HTTPRequest(url: apiURL), token: access.credentials)
/// ```
///
/// Every failure is an ``OAuth1Error``; no message or log line carries a secret.
public struct OAuth1Client: Sendable {
    /// The app's consumer key and secret.
    public var credentials: ClientCredentials
    /// Where the provider sends the user after authorization.
    public var callback: OAuth1CallbackMode
    /// The provider's endpoints.
    public var endpoints: OAuth1ProviderEndpoints
    /// The signature method (HMAC-SHA1 unless the provider wants another).
    public var signatureMethod: SignatureMethod
    /// Where the protocol parameters go.
    public var placement: SignaturePlacement
    /// Sends the HTTP requests.
    public var transport: any OAuth1Transport
    /// How long one HTTP exchange may take.
    public var timeout: Duration
    /// The timestamp source.
    public var clock: OAuth1Clock
    /// The nonce source.
    public var nonce: OAuth1NonceGenerator
    /// Where the dance is logged (endpoints and outcomes, never secrets).
    public var logger: Logger

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - credentials: the consumer key and secret the provider issued to the app.
    ///   - callback: what `oauth_callback` sends: the app's callback URL or `oob`.
    ///   - endpoints: the provider's request token, authorize and access token URLs.
    ///   - signatureMethod: how requests are signed; HMAC-SHA1 by default.
    ///   - placement: where the protocol parameters go; the Authorization header by default.
    ///   - transport: sends the HTTP requests; URLSession by default.
    ///   - timeout: for each HTTP exchange; 30 seconds by default.
    ///   - clock: the timestamp source; the system clock by default.
    ///   - nonce: the nonce source; secure random bytes by default.
    ///   - logger: a disabled logger by default.
    public init(
        credentials: ClientCredentials,
        callback: OAuth1CallbackMode,
        endpoints: OAuth1ProviderEndpoints,
        signatureMethod: SignatureMethod = .hmacSHA1,
        placement: SignaturePlacement = .authorizationHeader,
        transport: any OAuth1Transport = URLSessionTransport.shared,
        timeout: Duration = .seconds(30),
        clock: OAuth1Clock = .system,
        nonce: OAuth1NonceGenerator = .secureRandom,
        logger: Logger = Logger(label: "oauth1", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.credentials = credentials
        self.callback = callback
        self.endpoints = endpoints
        self.signatureMethod = signatureMethod
        self.placement = placement
        self.transport = transport
        self.timeout = timeout
        self.clock = clock
        self.nonce = nonce
        self.logger = logger
    }

    /// A signer for this client, optionally with token credentials.
    public func signer(for token: TokenCredentials? = nil) -> OAuth1Signer {
        OAuth1Signer(
            client: credentials, token: token, method: signatureMethod, placement: placement,
            clock: clock, nonce: nonce)
    }

    // MARK: The dance

    /// Obtains a request token (temporary credentials) with this client's callback.
    ///
    /// - Parameters:
    ///   - accessType: `x_auth_access_type` (`read` or `write` on Twitter), sent in the query.
    ///   - extraParameters: more request parameters, sent in the query and signed.
    /// - Throws: ``OAuth1Error``: ``OAuth1Error/Code/providerRejected`` for a non-2xx answer,
    ///   ``OAuth1Error/Code/malformedResponse`` when the body lacks the token or secret,
    ///   ``OAuth1Error/Code/callbackNotConfirmed`` when `oauth_callback_confirmed=true` is
    ///   missing and ``OAuth1ProviderEndpoints/requiresCallbackConfirmed`` is on, or a
    ///   transport error.
    public func requestToken(accessType: String? = nil, extraParameters: [OAuth1Parameter] = []) async throws
        -> TemporaryCredentials
    {
        var query = extraParameters
        if let accessType { query.append(OAuth1Parameter(name: "x_auth_access_type", value: accessType)) }
        let request = OAuth1HTTPRequest(
            method: endpoints.tokenRequestMethod, url: Self.appending(query, to: endpoints.requestTokenURL))
        let signed = try signer().sign(
            request, extraProtocolParameters: [OAuth1Parameter(name: "oauth_callback", value: callback.parameterValue)])
        logger.debug("requesting a request token", metadata: ["endpoint": "\(Self.endpointName(endpoints.requestTokenURL))"])
        let fields = try await tokenResponse(to: signed, step: "request-token")
        let confirmed = fields.first(named: "oauth_callback_confirmed") == "true"
        if endpoints.requiresCallbackConfirmed && !confirmed {
            throw OAuth1Error(
                .callbackNotConfirmed,
                message: "the provider did not answer oauth_callback_confirmed=true, so it may not be an OAuth 1.0a "
                    + "provider; set requiresCallbackConfirmed = false only for providers known to predate 1.0a")
        }
        return TemporaryCredentials(
            token: fields.first(named: "oauth_token") ?? "", secret: fields.first(named: "oauth_token_secret") ?? "",
            callbackConfirmed: confirmed, extraParameters: Self.extra(fields))
    }

    /// The URL to send the user to for authorizing `temporary`.
    ///
    /// - Parameters:
    ///   - temporary: the request token from ``requestToken(accessType:extraParameters:)``.
    ///   - authenticate: use the provider's authenticate ("Sign in with") endpoint when it has one.
    ///   - forceLogin: ask the provider to prompt for credentials even when signed in (`force_login=true`).
    ///   - screenName: prefill the sign-in form (`screen_name`).
    ///   - extraParameters: more query parameters.
    public func authorizationURL(
        for temporary: TemporaryCredentials,
        authenticate: Bool = false,
        forceLogin: Bool = false,
        screenName: String? = nil,
        extraParameters: [OAuth1Parameter] = []
    ) -> URL {
        let base = authenticate ? (endpoints.authenticateURL ?? endpoints.authorizeURL) : endpoints.authorizeURL
        var query = [OAuth1Parameter(name: "oauth_token", value: temporary.token)]
        if forceLogin { query.append(OAuth1Parameter(name: "force_login", value: "true")) }
        if let screenName { query.append(OAuth1Parameter(name: "screen_name", value: screenName)) }
        return Self.appending(query + extraParameters, to: base)
    }

    /// Exchanges an authorized request token for the access token.
    ///
    /// - Parameters:
    ///   - temporary: the request token obtained by ``requestToken(accessType:extraParameters:)``.
    ///   - verifier: `oauth_verifier` from the callback, or the PIN of the out-of-band flow.
    ///     Surrounding whitespace and newlines (a PIN pasted into a terminal) are dropped.
    /// - Throws: ``OAuth1Error``: ``OAuth1Error/Code/providerRejected``,
    ///   ``OAuth1Error/Code/malformedResponse``, ``OAuth1Error/Code/missingVerifier`` for an
    ///   empty verifier, or a transport error.
    public func accessToken(temporary: TemporaryCredentials, verifier: String) async throws -> AccessTokenResponse {
        let verifier = verifier.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !verifier.isEmpty else {
            throw OAuth1Error(.missingVerifier, message: "the oauth_verifier (or PIN) is empty")
        }
        let request = OAuth1HTTPRequest(method: endpoints.tokenRequestMethod, url: endpoints.accessTokenURL)
        let signed = try signer(for: temporary.credentials).sign(
            request, extraProtocolParameters: [OAuth1Parameter(name: "oauth_verifier", value: verifier)])
        logger.debug("exchanging a request token for an access token", metadata: ["endpoint": "\(Self.endpointName(endpoints.accessTokenURL))"])
        let fields = try await tokenResponse(to: signed, step: "access-token")
        return AccessTokenResponse(
            credentials: TokenCredentials(
                token: fields.first(named: "oauth_token") ?? "", secret: fields.first(named: "oauth_token_secret") ?? ""),
            extraParameters: Self.extra(fields))
    }

    /// Checks that `callback` completes `temporary`, then exchanges it for the access token.
    ///
    /// - Throws: ``OAuth1Error/Code/tokenMismatch`` when the callback names another request
    ///   token, or as ``accessToken(temporary:verifier:)``.
    public func accessToken(temporary: TemporaryCredentials, callback: OAuth1Callback) async throws -> AccessTokenResponse {
        try callback.validate(matches: temporary)
        return try await accessToken(temporary: temporary, verifier: callback.verifier)
    }

    // MARK: Signed requests

    /// Signs `request` with `token` and sends it. Returns the response whatever its status.
    ///
    /// - Throws: ``OAuth1Error`` for signing or transport failures.
    public func send(_ request: OAuth1HTTPRequest, token: TokenCredentials) async throws -> OAuth1HTTPResponse {
        let signed = try signer(for: token).sign(request)
        return try await transport.send(signed, timeout: timeout)
    }

    // MARK: Helpers

    private func tokenResponse(to request: OAuth1HTTPRequest, step: String) async throws -> [OAuth1Parameter] {
        let response = try await transport.send(request, timeout: timeout)
        let host = request.url.host ?? "the provider"
        guard (200..<300).contains(response.status) else {
            let providerMessage = ProviderErrorBody.message(in: response.body, contentType: response.header(named: "Content-Type"))
            logger.info("provider rejected the \(step) request", metadata: ["status": "\(response.status)", "host": "\(host)"])
            throw OAuth1Error(
                .providerRejected,
                message: "\(host) answered HTTP \(response.status) to the \(step) request"
                    + (providerMessage.map { ": \($0)" } ?? ""),
                httpStatus: response.status, providerMessage: providerMessage,
                responseBody: String(decoding: response.body, as: UTF8.self))
        }
        let text = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let fields: [OAuth1Parameter]
        do {
            fields = try OAuth1PercentEncoding.parseForm(text)
        } catch {
            throw Self.malformed(step: step, host: host, status: response.status, detail: "the body is not form-encoded")
        }
        for name in ["oauth_token", "oauth_token_secret"] where (fields.first(named: name) ?? "").isEmpty {
            throw Self.malformed(step: step, host: host, status: response.status, detail: "the body has no \(name)")
        }
        return fields
    }

    private static func malformed(step: String, host: String, status: Int, detail: String) -> OAuth1Error {
        // The body is not kept: a half-valid token response may hold a secret.
        OAuth1Error(.malformedResponse, message: "the \(step) response from \(host) is malformed: \(detail)", httpStatus: status)
    }

    private static func extra(_ fields: [OAuth1Parameter]) -> [OAuth1Parameter] {
        fields.filter { !["oauth_token", "oauth_token_secret", "oauth_callback_confirmed"].contains($0.name) }
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

    private static func endpointName(_ url: URL) -> String {
        (url.host ?? "") + url.path
    }
}

extension URLSessionTransport {
    /// A process-wide transport, the default of ``OAuth1Client``.
    public static let shared = URLSessionTransport()
}
