import FlyingFox
import Foundation
import OAuth1
import Synchronization

/// The authorization page a browser sees with ``LocalOAuth1Provider/Configuration/showsAuthorizationPage``:
/// a form with a screen-name field and "Allow" and "Deny" buttons, posted back to
/// `/oauth/authorize`.
extension LocalOAuth1Provider {
    /// The longest screen name the page accepts (Twitter's limit).
    static let maximumScreenNameLength = 15

    /// `GET /oauth/authorize` with the page on: the form for a pending request token.
    func authorizationPage(for token: String) -> HTTPResponse {
        let now = configuration.clock.now()
        let known = state.withLock { state in
            guard let pending = state.pending[token] else { return false }
            return pending.expiresAt > now && !pending.denied
        }
        guard known else { return Self.page(400, "This authorization request is unknown or has expired.") }
        let html = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>Authorize access</title></head>
            <body>
            <h1>Authorize the application?</h1>
            <p>An application asks to act on behalf of your account.</p>
            <form method="post" action="/oauth/authorize">
            <input type="hidden" name="oauth_token" value="\(Self.htmlEscaped(token))">
            <label>Signed in as <input id="screen_name" name="screen_name" value="\(Self.htmlEscaped(configuration.user.screenName))" \
            maxlength="\(Self.maximumScreenNameLength)" pattern="[A-Za-z0-9_]+"></label>
            <button id="allow" type="submit" name="decision" value="allow">Allow</button>
            <button id="deny" type="submit" name="decision" value="deny">Deny</button>
            </form>
            </body></html>
            """
        return HTTPResponse(
            statusCode: .ok,
            headers: Self.headers(["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"]),
            body: Data(html.utf8))
    }

    /// `POST /oauth/authorize`: the page's form. "Allow" approves as the screen name typed
    /// (the configured user for their own name or an empty field) and redirects (303) to
    /// the callback with the verifier; "Deny" redirects with `denied=<token>`. For `oob`
    /// the answer is a page with the PIN, or one saying access was denied.
    func authorizationDecision(_ request: OAuth1HTTPRequest) -> HTTPResponse {
        let form = request.body.flatMap { try? OAuth1PercentEncoding.parseForm(String(decoding: $0, as: UTF8.self)) } ?? []
        guard let token = form.first(named: "oauth_token"), !token.isEmpty else {
            return Self.page(400, "Missing oauth_token.")
        }
        switch form.first(named: "decision") {
        case "allow":
            guard let user = user(named: form.first(named: "screen_name") ?? "") else {
                return Self.page(
                    400, "A screen name is 1 to \(Self.maximumScreenNameLength) letters, digits or underscores.")
            }
            guard let approval = try? approve(requestToken: token, asUser: user) else {
                return Self.page(400, "This authorization request is unknown or has expired.")
            }
            guard let callbackURL = approval.callbackURL else {
                return Self.page(200, "Authorized. Enter this PIN in the app: <code id=\"oauth_pin\">\(approval.verifier)</code>")
            }
            return Self.seeOther(callbackURL)
        case "deny":
            let callbackURL: URL?
            do {
                callbackURL = try deny(requestToken: token)
            } catch {
                return Self.page(400, "This authorization request is unknown or has expired.")
            }
            guard let callbackURL else { return Self.page(200, "Access denied. You can close this page.") }
            return Self.seeOther(callbackURL)
        default:
            return Self.page(400, "Choose Allow or Deny.")
        }
    }

    /// The account for a typed screen name: the configured user for their own name (or an
    /// empty field), else a user whose id is derived from the name, so the same name always
    /// signs in as the same account. `nil` for a name a real provider would refuse.
    func user(named screenName: String) -> User? {
        if screenName.isEmpty || screenName == configuration.user.screenName { return configuration.user }
        guard screenName.utf8.count <= Self.maximumScreenNameLength,
            screenName.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        else { return nil }
        return User(id: "local-" + screenName.lowercased(), screenName: screenName)
    }

    static func seeOther(_ url: URL) -> HTTPResponse {
        HTTPResponse(
            statusCode: HTTPStatusCode(303, phrase: "See Other"),
            headers: Self.headers(["Location": url.absoluteString, "Content-Type": "text/html"]))
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
