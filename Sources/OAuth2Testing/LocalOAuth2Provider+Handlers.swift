import FlyingFox
import Foundation
import OAuth1
import OAuth2
import Synchronization

extension LocalOAuth2Provider {
    /// A request as the handlers read it: method, path, query, headers and form body.
    struct Received {
        var method: String
        var query: [OAuth1Parameter]
        var headers: OAuth1HTTPHeaders
        var form: [OAuth1Parameter]

        func field(_ name: String) -> String? { form.first(named: name) }
        func queryItem(_ name: String) -> String? { query.first(named: name) }
    }

    /// Answers one HTTP request at `endpoint`, applying any injected failure first.
    func respond(to request: HTTPRequest, at endpoint: Endpoint) async -> HTTPResponse {
        let failure = state.withLock { state -> Failure? in
            state.requestCounts[endpoint, default: 0] += 1
            return state.failures[endpoint]
        }
        switch failure {
        case .status(let status, let body, let contentType)?:
            return HTTPResponse(
                statusCode: HTTPStatusCode(status, phrase: "Injected"), headers: Self.headers(["Content-Type": contentType]),
                body: Data(body.utf8))
        case .delay(let duration)?:
            try? await Task.sleep(for: duration)
        case nil:
            break
        }
        guard let received = await Self.received(request) else {
            return Self.oauthError(400, "invalid_request", "the request could not be read")
        }
        switch endpoint {
        case .authorize: return received.method == "POST" ? authorizationDecision(received) : authorize(received)
        case .token: return token(received)
        case .revocation: return revoke(received)
        case .protectedResource: return protectedResource(received)
        }
    }

    // MARK: Protected resource

    private func protectedResource(_ request: Received) -> HTTPResponse {
        let now = configuration.clock.now()
        let header = request.headers.header(named: "Authorization") ?? ""
        let prefix = "bearer "
        let user: User? =
            header.count > prefix.count && header.prefix(prefix.count).lowercased() == prefix
            ? state.withLock { state in
                guard let record = state.accessTokens[String(header.dropFirst(prefix.count))], state.isLive(record, at: now)
                else { return nil }
                return record.user
            } : nil
        guard let user else {
            return HTTPResponse(
                statusCode: .unauthorized,
                headers: Self.headers([
                    "Content-Type": "application/json",
                    "WWW-Authenticate": #"Bearer realm="local", error="invalid_token""#,
                ]),
                body: Data(#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#.utf8))
        }
        return Self.json(200, ["data": ["id": user.id, "username": user.username, "name": user.name]])
    }

    // MARK: Revocation (RFC 7009)

    private func revoke(_ request: Received) -> HTTPResponse {
        let client: Client
        switch authenticateClient(request) {
        case .success(let value): client = value
        case .failure(let failure): return failure.response
        }
        guard let token = request.field("token"), !token.isEmpty else {
            return Self.oauthError(400, "invalid_request", "token is required")
        }
        state.withLock { state in
            if let record = state.refreshTokens[token], record.clientID == client.id {
                // Revoking a refresh token ends the grant: every token of its family.
                _ = state.revoke(family: record.family)
                state.counters.revocations += 1
            } else if let record = state.accessTokens[token], record.clientID == client.id {
                state.accessTokens[token] = nil
                state.counters.revocations += 1
            }
        }
        // An unknown or foreign token is answered 200 too (RFC 7009 section 2.2).
        return HTTPResponse(statusCode: .ok, headers: Self.headers(["Content-Type": "application/json"]), body: Data("{}".utf8))
    }

    // MARK: Conversions and responses

    static func received(_ request: HTTPRequest) async -> Received? {
        guard let body = try? await request.bodyData else { return nil }
        var headers = OAuth1HTTPHeaders()
        for (name, value) in request.headers { headers.addHeader(name.rawValue, value) }
        guard let query = try? OAuth1PercentEncoding.parseForm(request.target.query()) else { return nil }
        var form: [OAuth1Parameter] = []
        if !body.isEmpty {
            guard let text = String(data: body, encoding: .utf8), let parsed = try? OAuth1PercentEncoding.parseForm(text)
            else { return nil }
            form = parsed
        }
        return Received(method: request.method.rawValue, query: query, headers: headers, form: form)
    }

    /// An RFC 6749 section 5.2 error response.
    static func oauthError(_ status: Int, _ error: String, _ description: String, basicChallenge: Bool = false)
        -> HTTPResponse
    {
        var response = json(status, ["error": error, "error_description": description])
        if basicChallenge { response.headers.addValue(#"Basic realm="local""#, for: HTTPHeader("WWW-Authenticate")) }
        return response
    }

    static func json(_ status: Int, _ object: [String: any Sendable]) -> HTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return HTTPResponse(
            statusCode: HTTPStatusCode(status, phrase: status == 200 ? "OK" : status == 401 ? "Unauthorized" : "Bad Request"),
            headers: headers(["Content-Type": "application/json", "Cache-Control": "no-store"]), body: body)
    }

    static func page(_ status: Int, _ html: String) -> HTTPResponse {
        HTTPResponse(
            statusCode: HTTPStatusCode(status, phrase: status == 200 ? "OK" : "Bad Request"),
            headers: headers(["Content-Type": "text/html; charset=utf-8"]),
            body: Data("<!doctype html><html><body><p>\(html)</p></body></html>".utf8))
    }

    static func redirect(_ status: Int, to url: URL) -> HTTPResponse {
        HTTPResponse(
            statusCode: HTTPStatusCode(status, phrase: status == 303 ? "See Other" : "Found"),
            headers: headers(["Location": url.absoluteString, "Content-Type": "text/html"]))
    }

    static func headers(_ pairs: KeyValuePairs<String, String>) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for (name, value) in pairs { headers.addValue(value, for: HTTPHeader(rawValue: name)) }
        return headers
    }

    /// `url` (a registered redirect URI) with `parameters` appended to its query.
    static func appending(_ parameters: [OAuth1Parameter], to url: String) -> URL? {
        let separator = url.contains("?") ? "&" : "?"
        return URL(string: url + separator + OAuth1PercentEncoding.formEncode(parameters))
    }

    /// A fresh opaque value (128 random bits as hex) with a readable prefix.
    static func randomToken(_ prefix: String) -> String? {
        (try? OAuth1NonceGenerator.secureRandom.next()).map { prefix + $0 }
    }

    /// `now` + `duration`, saturating (a configured lifetime may be `.seconds(.max)`).
    static func adding(_ duration: Duration, to now: Date) -> Date {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return now.addingTimeInterval(min(max(seconds, 0), 1e12))
    }
}

/// A ready error response, as the failure type of a `Result`.
struct ResponseFailure: Error {
    let response: HTTPResponse
    init(_ response: HTTPResponse) { self.response = response }
}
