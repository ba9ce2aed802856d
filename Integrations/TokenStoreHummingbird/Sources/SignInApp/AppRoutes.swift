import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OAuth1
import Prometheus
import TokenStoreHummingbird
import TokenStoreFlow
import TokenStoreKit

/// The app's pages: home (who is signed in), post a status, sign out, metrics, health.
struct AppRoutes: Sendable {
    let flow: AuthorizationFlow
    let cookie: SignedInCookie
    let metrics: PrometheusCollectorRegistry
    let statusURL: URL

    /// The sign-in routes' cookie rules, which the app's own cookie follows too.
    static let signInConfiguration = AuthorizationRoutes<BasicRequestContext>.Configuration()

    func add(to router: Router<BasicRequestContext>) {
        let signIn = AuthorizationRoutes<BasicRequestContext>(flow: flow, configuration: Self.signInConfiguration) {
            signedIn, request, _ in
            var response = Response.redirect(to: signedIn.completion.returnTo ?? "/", type: .normal)
            response.setCookie(try self.signedInCookie(for: signedIn.key.userID, request: request))
            return response
        }
        signIn.addRoutes(to: router.group("auth"))

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

    /// The stored access token of the signed-in user, read from the store on every request.
    func signedInToken(_ request: Request) async throws -> AccessToken? {
        let now = Int64(Date().timeIntervalSince1970)
        guard let userID = cookie.userID(from: request.cookies[SignedInCookie.name]?.value, now: now) else { return nil }
        return try await flow.store.accessToken(for: AccessTokenKey(provider: flow.provider, userID: userID))
    }

    func home(_ request: Request) async throws -> Response {
        let token = try await signedInToken(request)
        var notice: String?
        switch request.uri.queryParameters["sign_in"] {
        case "denied": notice = "Sign-in cancelled: you declined the authorization at the provider."
        default: break
        }
        if request.uri.queryParameters["signed_out"] == "1" { notice = "You are signed out." }
        return Pages.home(screenName: token.map { $0.screenName ?? $0.userID }, userID: token?.userID, notice: notice)
    }

    func postStatus(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let token = try await signedInToken(request) else {
            return Pages.message("Not signed in", "Sign in before posting.", status: .unauthorized)
        }
        var request = request
        let body = try await request.collectBody(upTo: 16 * 1024)
        let form = (try? OAuth1PercentEncoding.parseForm(String(buffer: body))) ?? []
        let text = form.first(named: "status") ?? ""
        guard !text.isEmpty, text.count <= 280 else {
            return Pages.message("Nothing posted", "A status is 1 to 280 characters.", status: .badRequest)
        }
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

    func signOut(_ request: Request) -> Response {
        var response = Response.redirect(to: "/?signed_out=1", type: .normal)
        response.setCookie(
            Cookie(
                name: SignedInCookie.name, value: "", maxAge: 0, path: "/",
                secure: Self.signInConfiguration.cookiesAreSecure(for: request), httpOnly: true, sameSite: .lax))
        return response
    }

    func signedInCookie(for userID: String, request: Request) throws -> Cookie {
        let value = try cookie.value(userID: userID, now: Int64(Date().timeIntervalSince1970))
        return Cookie(
            name: SignedInCookie.name, value: value, maxAge: Int(SignedInCookie.lifetime), path: "/",
            secure: Self.signInConfiguration.cookiesAreSecure(for: request), httpOnly: true, sameSite: .lax)
    }
}
