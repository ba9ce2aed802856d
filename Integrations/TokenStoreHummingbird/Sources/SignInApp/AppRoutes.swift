import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OAuth1
import OAuth2
import Prometheus
import TokenStoreHummingbird
import TokenStoreFlow
import TokenStoreKit

/// The app's pages: home (who is signed in), post a status, sign out, metrics, health.
struct AppRoutes: Sendable {
    let flow: AuthorizationFlow
    let oauth2: OAuth2Setup
    let cookie: SignedInCookie
    let metrics: PrometheusCollectorRegistry
    let statusURL: URL

    /// The sign-in routes' cookie rules, which the app's own cookie follows too.
    static let signInConfiguration = AuthorizationRoutes<BasicRequestContext>.Configuration()

    func add(to router: Router<BasicRequestContext>) {
        let signIn = AuthorizationRoutes<BasicRequestContext>(flow: flow, configuration: Self.signInConfiguration) {
            signedIn, request, _ in
            var response = Response.redirect(to: signedIn.completion.returnTo ?? "/", type: .normal)
            response.setCookie(try self.signedInCookie(for: signedIn.key, request: request))
            return response
        }
        signIn.addRoutes(to: router.group("auth"))
        // OAuth 2.0: the same cookies, pages and metrics; `identify` asks the provider who signed in.
        let oauth2SignIn = OAuth2AuthorizationRoutes<BasicRequestContext>(
            flow: oauth2.flow, scopes: ["users.read"], configuration: Self.signInConfiguration
        ) { response in
            try await self.oauth2.user(accessToken: response.accessToken)
        } signedIn: { signedIn, request, _ in
            var response = Response.redirect(to: signedIn.completion.returnTo ?? "/", type: .normal)
            response.setCookie(try self.signedInCookie(for: signedIn.key, request: request))
            return response
        }
        oauth2SignIn.addRoutes(to: router.group("auth"))

        router.get("/") { request, _ in try await self.home(request) }
        router.post("/status") { request, context in try await self.postStatus(request, context: context) }
        router.post("/signout") { request, _ in self.signOut(request) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.emitToBuffer())))
        }
        router.get("/healthz") { _, _ in "ok" }
    }

    func signedInUser(_ request: Request) async throws -> SignedInUser? {
        let now = Int64(Date().timeIntervalSince1970)
        guard let key = cookie.user(from: request.cookies[SignedInCookie.name]?.value, now: now) else { return nil }
        switch key.provider {
        case flow.provider: return try await flow.store.accessToken(for: key).map(SignedInUser.oauth1)
        case oauth2.flow.provider: return try await oauth2.flow.store.tokenSet(for: key).map(SignedInUser.oauth2)
        default: return nil
        }
    }

    func home(_ request: Request) async throws -> Response {
        let user = try await signedInUser(request)
        var notice: String?
        switch request.uri.queryParameters["sign_in"] {
        case "denied": notice = "Sign-in cancelled: you declined the authorization at the provider."
        default: break
        }
        if request.uri.queryParameters["signed_out"] == "1" { notice = "You are signed out." }
        return Pages.home(
            user: user.map { (screenName: $0.screenName, userID: $0.userID, protocolName: $0.protocolName) }, notice: notice,
            oauth1Path: "/auth/\(flow.provider)", oauth2Path: "/auth/\(oauth2.flow.provider)")
    }

    func postStatus(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let user = try await signedInUser(request) else {
            return Pages.message("Not signed in", "Sign in before posting.", status: .unauthorized)
        }
        var request = request
        let body = try await request.collectBody(upTo: 16 * 1024)
        let form = (try? OAuth1PercentEncoding.parseForm(String(buffer: body))) ?? []
        let text = form.first(named: "status") ?? ""
        guard !text.isEmpty, text.count <= 280 else {
            return Pages.message("Nothing posted", "A status is 1 to 280 characters.", status: .badRequest)
        }
        switch user {
        case .oauth1(let token): return await postOAuth1(text, token: token, context: context)
        case .oauth2(let tokenSet): return await postOAuth2(text, key: tokenSet.key, context: context)
        }
    }

    /// Posts to the OAuth 1.0a provider's status endpoint, signed with the stored token.
    func postOAuth1(_ text: String, token: AccessToken, context: BasicRequestContext) async -> Response {
        var signed = OAuth1HTTPRequest(method: "POST", url: statusURL)
        signed.setHeader("Content-Type", "application/x-www-form-urlencoded")
        signed.body = Data(OAuth1PercentEncoding.formEncode([OAuth1Parameter(name: "status", value: text)]).utf8)
        let answer: OAuth1HTTPResponse
        do {
            answer = try await flow.send(signed, as: token.key)
        } catch {
            context.logger.error("posting a status failed", metadata: ["error": "\(error)"])
            return Pages.message("Not posted", "The provider did not answer. Try again later.", status: .badGateway)
        }
        guard answer.status == 200,
            let json = try? JSONSerialization.jsonObject(with: answer.body) as? [String: String], let posted = json["text"]
        else {
            return Pages.message("Not posted", "The provider refused the post (HTTP \(answer.status)).", status: .badGateway)
        }
        return Pages.posted(text: posted, screenName: json["screen_name"] ?? token.userID)
    }

    /// The local OAuth 2.0 provider has no status endpoint: the post is authorized by its
    /// protected resource (`GET /2/users/me`) with a Bearer token that
    /// `validAccessToken` refreshes through the store when it is about to expire.
    func postOAuth2(_ text: String, key: AccessTokenKey, context: BasicRequestContext) async -> Response {
        do {
            let tokenSet = try await oauth2.refresher.validAccessToken(for: key)
            let user = try await oauth2.user(accessToken: tokenSet.accessToken)
            return Pages.posted(text: text, screenName: user.screenName ?? user.userID)
        } catch let error as OAuth2RefreshError where error.code == .signInRequired || error.code == .notSignedIn {
            context.logger.notice("posting a status needs a new sign-in", metadata: ["error": "\(error)"])
            return Pages.message("Sign in again", "Your authorization at the provider has ended. Please sign in again.", status: .unauthorized)
        } catch {
            context.logger.error("posting a status failed", metadata: ["error": "\(error)"])
            return Pages.message("Not posted", "The provider did not answer properly. Try again later.", status: .badGateway)
        }
    }

    func signOut(_ request: Request) -> Response {
        var response = Response.redirect(to: "/?signed_out=1", type: .normal)
        response.setCookie(
            Cookie(
                name: SignedInCookie.name, value: "", maxAge: 0, path: "/",
                secure: Self.signInConfiguration.cookiesAreSecure(for: request), httpOnly: true, sameSite: .lax))
        return response
    }

    func signedInCookie(for user: AccessTokenKey, request: Request) throws -> Cookie {
        let value = try cookie.value(user: user, now: Int64(Date().timeIntervalSince1970))
        return Cookie(
            name: SignedInCookie.name, value: value, maxAge: Int(SignedInCookie.lifetime), path: "/",
            secure: Self.signInConfiguration.cookiesAreSecure(for: request), httpOnly: true, sameSite: .lax)
    }
}
