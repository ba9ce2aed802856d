import FlyingFox
import Foundation
import OAuth1
import OAuth2
import Synchronization

/// The authorize endpoint (RFC 6749 section 4.1.1) and its Allow/Deny page.
extension LocalOAuth2Provider {
    /// `GET /oauth2/authorize`: checks the request, then approves at once as the configured
    /// user, or shows the page.
    func authorize(_ request: Received) -> HTTPResponse {
        // Without a known client and a registered redirect URI, nothing may be redirected
        // (section 4.1.2.1): the user sees an error page.
        guard let clientID = request.queryItem("client_id"),
            let client = configuration.clients.first(where: { $0.id == clientID })
        else { return Self.page(400, "Unknown client.") }
        guard let redirectURI = request.queryItem("redirect_uri"), client.allowsRedirect(to: redirectURI) else {
            return Self.page(400, "The redirect URI is not registered for this client.")
        }
        let clientState = request.queryItem("state")
        func refuse(_ error: String, _ description: String) -> HTTPResponse {
            var parameters = [
                OAuth1Parameter(name: "error", value: error), OAuth1Parameter(name: "error_description", value: description),
            ]
            if let clientState { parameters.append(OAuth1Parameter(name: "state", value: clientState)) }
            if let issuer = configuration.issuer { parameters.append(OAuth1Parameter(name: "iss", value: issuer)) }
            guard let url = Self.appending(parameters, to: redirectURI) else { return Self.page(400, "Bad redirect URI.") }
            return Self.redirect(302, to: url)
        }
        guard request.queryItem("response_type") == "code" else {
            return refuse("unsupported_response_type", "only response_type=code is supported")
        }
        guard let challenge = request.queryItem("code_challenge"), challenge.utf8.count == 43,
            request.queryItem("code_challenge_method") == "S256"
        else { return refuse("invalid_request", "PKCE with code_challenge_method=S256 is required") }
        let scopes = (request.queryItem("scope") ?? "").split(separator: " ").map(String.init)
        if let supported = configuration.supportedScopes, let unknown = scopes.first(where: { !supported.contains($0) }) {
            return refuse("invalid_scope", "unknown scope \(unknown)")
        }
        let pending = LocalOAuth2ProviderState.PendingAuthorization(
            clientID: client.id, redirectURI: redirectURI, scopes: scopes, state: clientState, challenge: challenge,
            expiresAt: Self.adding(configuration.authorizationCodeLifetime, to: configuration.clock.now()))
        guard configuration.showsAuthorizationPage else { return approve(pending) }
        guard let requestID = Self.randomToken("req_") else { return Self.page(500, "No randomness.") }
        state.withLock { $0.pending[requestID] = pending }
        return authorizationPage(requestID: requestID, client: client, scopes: scopes)
    }

    /// Issues a code for `pending` and redirects (302) to its redirect URI with it.
    private func approve(_ pending: LocalOAuth2ProviderState.PendingAuthorization, status: Int = 302) -> HTTPResponse {
        guard let code = Self.randomToken("code_") else { return Self.page(500, "No randomness.") }
        state.withLock {
            $0.codes[code] = LocalOAuth2ProviderState.IssuedCode(
                clientID: pending.clientID, redirectURI: pending.redirectURI, challenge: pending.challenge,
                scopes: pending.scopes, user: configuration.user, expiresAt: pending.expiresAt)
        }
        var parameters = [OAuth1Parameter(name: "code", value: code)]
        if let state = pending.state { parameters.append(OAuth1Parameter(name: "state", value: state)) }
        if let issuer = configuration.issuer { parameters.append(OAuth1Parameter(name: "iss", value: issuer)) }
        guard let url = Self.appending(parameters, to: pending.redirectURI) else { return Self.page(400, "Bad redirect URI.") }
        return Self.redirect(status, to: url)
    }

    private func authorizationPage(requestID: String, client: Client, scopes: [String]) -> HTTPResponse {
        let html = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>Authorize access</title></head>
            <body>
            <h1>Authorize \(Self.htmlEscaped(client.id))?</h1>
            <p>It asks for: \(Self.htmlEscaped(scopes.joined(separator: ", ")))</p>
            <p>Signed in as \(Self.htmlEscaped(configuration.user.username)).</p>
            <form method="post" action="/oauth2/authorize">
            <input type="hidden" name="request_id" value="\(Self.htmlEscaped(requestID))">
            <button id="allow" type="submit" name="decision" value="allow">Allow</button>
            <button id="deny" type="submit" name="decision" value="deny">Deny</button>
            </form>
            </body></html>
            """
        return HTTPResponse(
            statusCode: .ok, headers: Self.headers(["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"]),
            body: Data(html.utf8))
    }

    /// `POST /oauth2/authorize`: the page's form. "Allow" redirects (303) with a code,
    /// "Deny" with `error=access_denied`; either way the pending request is used up.
    func authorizationDecision(_ request: Received) -> HTTPResponse {
        let now = configuration.clock.now()
        guard let requestID = request.field("request_id"),
            let pending = state.withLock({ $0.pending.removeValue(forKey: requestID) }), pending.expiresAt > now
        else { return Self.page(400, "This authorization request is unknown or has expired.") }
        switch request.field("decision") {
        case "allow":
            return approve(pending, status: 303)
        case "deny":
            var parameters = [
                OAuth1Parameter(name: "error", value: "access_denied"),
                OAuth1Parameter(name: "error_description", value: "The user denied the request."),
            ]
            if let state = pending.state { parameters.append(OAuth1Parameter(name: "state", value: state)) }
            if let issuer = configuration.issuer { parameters.append(OAuth1Parameter(name: "iss", value: issuer)) }
            guard let url = Self.appending(parameters, to: pending.redirectURI) else { return Self.page(400, "Bad redirect URI.") }
            return Self.redirect(303, to: url)
        default:
            state.withLock { $0.pending[requestID] = pending }
            return Self.page(400, "Choose Allow or Deny.")
        }
    }

    /// `text` made safe inside HTML text and double-quoted attribute values.
    static func htmlEscaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
