import FlyingFox
import Foundation
import OAuth1
import Synchronization

extension LocalOAuth1Provider {
    /// Answers one HTTP request at `endpoint`, applying any injected failure first.
    func respond(to request: HTTPRequest, at endpoint: Endpoint) async -> HTTPResponse {
        let failure = state.withLock { state -> Failure? in
            state.requestCounts[endpoint, default: 0] += 1
            return state.failures[endpoint]
        }
        switch failure {
        case .status(let status, let body, let contentType):
            return HTTPResponse(
                statusCode: HTTPStatusCode(status, phrase: "Injected"), headers: Self.headers(["Content-Type": contentType]),
                body: Data(body.utf8))
        case .malformedBody:
            return HTTPResponse(statusCode: .ok, headers: Self.headers(["Content-Type": "text/html"]), body: Data("<html>maintenance</html>".utf8))
        case .redirect(let url):
            return HTTPResponse(
                statusCode: .found, headers: Self.headers(["Location": url.absoluteString, "Content-Type": "text/plain"]))
        case .trickle(let interval):
            let body = Array("oauth_token=trickled&oauth_token_secret=trickled&oauth_callback_confirmed=true".utf8)
            return HTTPResponse(
                statusCode: .ok, headers: Self.headers(["Content-Type": "application/x-www-form-urlencoded"]),
                body: HTTPBodySequence(from: TrickledBytes(bytes: body, interval: interval), count: body.count, suggestedBufferSize: 1))
        case .delay(let duration):
            try? await Task.sleep(for: duration)
        case .omitCallbackConfirmed, nil:
            break
        }
        guard let received = await Self.oauthRequest(from: request, baseURL: baseURL) else {
            return Self.problem(400, "parameter_rejected", advice: "the request could not be read")
        }
        switch endpoint {
        case .requestToken: return issueRequestToken(received, omitConfirmation: failure == .omitCallbackConfirmed)
        case .authorize: return authorize(received)
        case .accessToken: return issueAccessToken(received)
        case .protectedResource: return protectedResource(received)
        }
    }

    // MARK: Endpoints

    private func issueRequestToken(_ request: OAuth1HTTPRequest, omitConfirmation: Bool) -> HTTPResponse {
        let verified: OAuth1ReceivedRequest
        switch verify(request, tokenSecret: { _ in "" }, requireToken: false) {
        case .success(let value): verified = value
        case .failure(let failure): return failure.response
        }
        guard let callback = verified.callback, !callback.isEmpty else {
            return Self.problem(400, "parameter_absent", advice: "oauth_callback is required (a URL or oob)")
        }
        guard callback == "oob" || URL(string: callback)?.scheme != nil else {
            return Self.problem(400, "parameter_rejected", advice: "oauth_callback must be an absolute URL or oob")
        }
        guard let token = try? OAuth1NonceGenerator.secureRandom.next(), let secret = try? OAuth1NonceGenerator.secureRandom.next() else {
            return Self.problem(500, "internal_error")
        }
        let query = URLComponents(url: request.url, resolvingAgainstBaseURL: true)?.percentEncodedQuery ?? ""
        let accessType = (try? OAuth1PercentEncoding.parseForm(query))?.first(named: "x_auth_access_type")
        let ttl = configuration.requestTokenTimeToLive.components.seconds
        // Saturating: a configured time to live of `.seconds(.max)` means "never expires".
        let (sum, overflow) = configuration.clock.now().addingReportingOverflow(ttl)
        let expiresAt = overflow ? (ttl < 0 ? Int64.min : Int64.max) : sum
        state.withLock {
            $0.pending[token] = LocalOAuth1ProviderState.PendingToken(
                secret: secret, consumerKey: verified.consumerKey, callback: callback, expiresAt: expiresAt,
                accessType: accessType)
        }
        var fields = [OAuth1Parameter(name: "oauth_token", value: token), OAuth1Parameter(name: "oauth_token_secret", value: secret)]
        if !omitConfirmation { fields.append(OAuth1Parameter(name: "oauth_callback_confirmed", value: "true")) }
        return Self.form(fields)
    }

    private func authorize(_ request: OAuth1HTTPRequest) -> HTTPResponse {
        if request.method == "POST" { return authorizationDecision(request) }
        let query = URLComponents(url: request.url, resolvingAgainstBaseURL: true)?.percentEncodedQuery ?? ""
        guard let token = (try? OAuth1PercentEncoding.parseForm(query))?.first(named: "oauth_token") else {
            return Self.page(400, "Missing oauth_token.")
        }
        if configuration.showsAuthorizationPage { return authorizationPage(for: token) }
        guard let approval = try? approve(requestToken: token) else {
            return Self.page(400, "This authorization request is unknown or has expired.")
        }
        guard let callbackURL = approval.callbackURL else {
            return Self.page(200, "Authorized. Enter this PIN in the app: <code id=\"oauth_pin\">\(approval.verifier)</code>")
        }
        return HTTPResponse(statusCode: .found, headers: Self.headers(["Location": callbackURL.absoluteString, "Content-Type": "text/html"]))
    }

    private func issueAccessToken(_ request: OAuth1HTTPRequest) -> HTTPResponse {
        let now = configuration.clock.now()
        let pendingSecret: (String) -> String? = { token in
            self.state.withLock { state in
                guard let pending = state.pending[token], pending.expiresAt > now else { return nil }
                return pending.secret
            }
        }
        let verified: OAuth1ReceivedRequest
        switch verify(request, tokenSecret: pendingSecret, requireToken: true) {
        case .success(let value): verified = value
        case .failure(let failure): return failure.response
        }
        guard let token = verified.token, let verifier = verified.verifier else {
            return Self.problem(401, "parameter_absent", advice: "oauth_verifier is required")
        }
        guard let newToken = try? OAuth1NonceGenerator.secureRandom.next(), let newSecret = try? OAuth1NonceGenerator.secureRandom.next() else {
            return Self.problem(500, "internal_error")
        }
        // Single use: the request token is removed whether or not the verifier matches.
        var accessType: String?
        let outcome: String? = state.withLock { state in
            guard let pending = state.pending.removeValue(forKey: token) else { return "token_used" }
            guard pending.consumerKey == verified.consumerKey else { return "token_rejected" }
            guard !pending.denied, let expected = pending.verifier else { return "permission_denied" }
            guard expected == verifier else { return "verifier_invalid" }
            let user = pending.user ?? configuration.user
            accessType = pending.accessType
            state.issued[newToken] = LocalOAuth1ProviderState.IssuedToken(
                secret: newSecret, consumerKey: pending.consumerKey, user: user)
            return nil
        }
        if let outcome { return Self.problem(401, outcome) }
        let user = state.withLock { $0.issued[newToken]?.user } ?? configuration.user
        return Self.form([
            OAuth1Parameter(name: "oauth_token", value: newToken),
            OAuth1Parameter(name: "oauth_token_secret", value: newSecret),
            OAuth1Parameter(name: "user_id", value: user.id),
            OAuth1Parameter(name: "screen_name", value: user.screenName),
        ] + (accessType.map { [OAuth1Parameter(name: "x_auth_access_type", value: $0)] } ?? []))
    }

    private func protectedResource(_ request: OAuth1HTTPRequest) -> HTTPResponse {
        let issuedSecret: (String) -> String? = { token in self.state.withLock { $0.issued[token]?.secret } }
        switch verify(request, tokenSecret: issuedSecret, requireToken: true) {
        case .failure:
            return Self.json(401, #"{"errors":[{"code":89,"message":"Invalid or expired token."}]}"#)
        case .success(let verified):
            let user = verified.token.flatMap { token in state.withLock { $0.issued[token]?.user } } ?? configuration.user
            var fields = ["id_str": user.id, "screen_name": user.screenName, "method": request.method]
            if request.url.path.hasSuffix("/statuses/update.json") {
                // The signature covered the form body, so this is the text the user signed.
                let form = request.body.flatMap { try? OAuth1PercentEncoding.parseForm(String(decoding: $0, as: UTF8.self)) }
                fields["text"] = form?.first(named: "status") ?? ""
            }
            let body = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            return HTTPResponse(statusCode: .ok, headers: Self.headers(["Content-Type": "application/json"]), body: body ?? Data())
        }
    }

    // MARK: Verification

    /// Checks consumer, method, timestamp, nonce, token and signature, in that order.
    private func verify(
        _ request: OAuth1HTTPRequest, tokenSecret: (String) -> String?, requireToken: Bool
    ) -> Result<OAuth1ReceivedRequest, ResponseFailure> {
        let received: OAuth1ReceivedRequest
        do {
            received = try OAuth1ReceivedRequest(request)
        } catch {
            return .failure(ResponseFailure(Self.problem(400, "parameter_rejected", advice: "\(error)")))
        }
        guard let consumer = configuration.consumers.first(where: { $0.key == received.consumerKey }) else {
            return .failure(ResponseFailure(Self.problem(401, "consumer_key_unknown")))
        }
        guard configuration.acceptedSignatureMethods.contains(received.signatureMethodName),
            let method = signatureMethod(named: received.signatureMethodName, for: consumer)
        else {
            return .failure(ResponseFailure(Self.problem(400, "signature_method_rejected")))
        }
        if received.signatureMethodName != SignatureMethod.plaintext.name {
            let now = configuration.clock.now()
            // Overflow-checked: oauth_timestamp is whatever the client sent (e.g. -2^63).
            guard let timestamp = received.timestamp, case let (skew, false) = timestamp.subtractingReportingOverflow(now),
                skew.magnitude <= configuration.timestampWindow.magnitude
            else {
                return .failure(ResponseFailure(Self.problem(401, "timestamp_refused")))
            }
            let nonceKey = "\(received.consumerKey)\u{0}\(timestamp)\u{0}\(received.nonce ?? "")"
            let fresh = state.withLock { $0.usedNonces.insert(nonceKey).inserted }
            guard fresh else { return .failure(ResponseFailure(Self.problem(401, "nonce_used"))) }
        }
        var secret = ""
        if let token = received.token {
            guard let found = tokenSecret(token) else {
                return .failure(ResponseFailure(Self.problem(401, "token_rejected")))
            }
            secret = found
        } else if requireToken {
            return .failure(ResponseFailure(Self.problem(401, "parameter_absent", advice: "oauth_token is required")))
        }
        guard received.verify(method: method, clientSecret: consumer.secret, tokenSecret: secret) else {
            return .failure(ResponseFailure(Self.problem(401, "signature_invalid")))
        }
        return .success(received)
    }

    private func signatureMethod(named name: String, for consumer: Consumer) -> SignatureMethod? {
        switch name {
        case "RSA-SHA1": consumer.rsaPublicKeyPEM.flatMap { try? SignatureMethod.rsaSHA1Verifier(publicKeyPEM: $0) }
        case "RSA-SHA256": consumer.rsaPublicKeyPEM.flatMap { try? SignatureMethod.rsaSHA256Verifier(publicKeyPEM: $0) }
        default: SignatureMethod.named(name)
        }
    }

    // MARK: Conversions and responses

    static func oauthRequest(from request: HTTPRequest, baseURL: URL) async -> OAuth1HTTPRequest? {
        let path = request.target.path()
        let query = request.target.query()
        guard let url = URL(string: baseURL.absoluteString + path + (query.isEmpty ? "" : "?" + query)),
            let body = try? await request.bodyData
        else { return nil }
        var headers = OAuth1HTTPHeaders()
        for (name, value) in request.headers { headers.addHeader(name.rawValue, value) }
        return OAuth1HTTPRequest(method: request.method.rawValue, url: url, headers: headers, body: body.isEmpty ? nil : body)
    }

    static func problem(_ status: Int, _ problem: String, advice: String? = nil) -> HTTPResponse {
        var fields = [OAuth1Parameter(name: "oauth_problem", value: problem)]
        if let advice { fields.append(OAuth1Parameter(name: "oauth_problem_advice", value: advice)) }
        return HTTPResponse(
            statusCode: HTTPStatusCode(status, phrase: status == 401 ? "Unauthorized" : "Bad Request"),
            headers: Self.headers(["Content-Type": "application/x-www-form-urlencoded", "WWW-Authenticate": "OAuth realm=\"local\""]),
            body: Data(OAuth1PercentEncoding.formEncode(fields).utf8))
    }

    static func form(_ fields: [OAuth1Parameter]) -> HTTPResponse {
        HTTPResponse(
            statusCode: .ok, headers: Self.headers(["Content-Type": "application/x-www-form-urlencoded"]),
            body: Data(OAuth1PercentEncoding.formEncode(fields).utf8))
    }

    static func json(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(statusCode: HTTPStatusCode(status, phrase: "Unauthorized"), headers: Self.headers(["Content-Type": "application/json"]), body: Data(body.utf8))
    }

    static func page(_ status: Int, _ html: String) -> HTTPResponse {
        HTTPResponse(
            statusCode: HTTPStatusCode(status, phrase: status == 200 ? "OK" : "Bad Request"), headers: Self.headers(["Content-Type": "text/html"]),
            body: Data("<html><body><p>\(html)</p></body></html>".utf8))
    }
}

extension LocalOAuth1Provider {
    static func headers(_ pairs: KeyValuePairs<String, String>) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for (name, value) in pairs { headers.addValue(value, for: HTTPHeader(rawValue: name)) }
        return headers
    }
}

/// A ready error response, as the failure type of a verification `Result`.
struct ResponseFailure: Error {
    let response: HTTPResponse
    init(_ response: HTTPResponse) { self.response = response }
}
