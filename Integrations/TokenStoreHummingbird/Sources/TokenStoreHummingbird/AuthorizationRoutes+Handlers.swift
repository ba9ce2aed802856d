import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OAuth1
import TokenStoreFlow
import TokenStoreKit

extension AuthorizationRoutes {
    /// `GET <provider>`: begins the flow and redirects (302) to the provider.
    func begin(_ request: Request, context: Context) async -> Response {
        let secure = cookiesAreSecure(request)
        var newSessionID: String?
        let sessionID: String
        do {
            switch session {
            case .cookie:
                if let existing = sessionCookieValue(of: request) {
                    sessionID = existing
                } else {
                    sessionID = SessionCookie.newID()
                    newSessionID = sessionID
                }
            case .app(let read):
                guard let id = try await read(request, context), !id.isEmpty else {
                    context.logger.error(
                        "sign-in not begun: the app gave no session id for the request",
                        metadata: ["provider": "\(flow.provider)"])
                    return SignInPage.response(for: .internalError, startAgain: nil, appPath: configuration.appPath)
                }
                sessionID = id
            }
            let returnTo = request.uri.queryParameters["return_to"].map(String.init).flatMap {
                LocalPath.isLocal($0) ? $0 : nil
            }
            let start = try await flow.begin(session: .browser(sessionID: sessionID), returnTo: returnTo)
            var pending = PendingFlows(cookieValue: request.cookies[configuration.pendingCookieName]?.value)
            pending.add(
                try PendingFlows.mark(oauthToken: start.requestToken, sessionID: sessionID),
                limit: configuration.maximumPendingFlows)

            var response = Response.redirect(to: start.authorizationURL.absoluteString, type: .found)
            SafetyHeaders.apply(to: &response.headers)
            if let newSessionID {
                response.setCookie(cookie(configuration.sessionCookieName, newSessionID, maxAge: nil, secure: secure))
            }
            response.setCookie(pendingCookie(pending, secure: secure))
            return response
        } catch {
            let failure = SignInFailure(error, atCallback: false)
            log(failure, error, context: context, stage: "begin")
            return SignInPage.response(for: failure, startAgain: nil, appPath: configuration.appPath)
        }
    }

    /// `GET <provider>/callback`: checks the callback belongs to this browser, completes
    /// the flow, and hands over to the app's "signed in" handler.
    func callback(_ request: Request, context: Context) async -> Response {
        let query = request.uri.query ?? ""
        let startAgain = Self.beginPath(fromCallbackPath: request.uri.path)
        do {
            let fields = (try? OAuth1PercentEncoding.parseForm(query)) ?? []
            let sessionID: String? =
                switch session {
                case .cookie: sessionCookieValue(of: request)
                case .app(let read): try await read(request, context).flatMap { $0.isEmpty ? nil : $0 }
                }
            var pending = PendingFlows(cookieValue: request.cookies[configuration.pendingCookieName]?.value)
            let named = fields.first(named: "denied") ?? fields.first(named: "oauth_token")
            let mark = try sessionID.flatMap { id in try named.map { try PendingFlows.mark(oauthToken: $0, sessionID: id) } }
            let begunHere = mark.map(pending.contains) ?? false

            if fields.first(named: "denied") != nil {
                // Only this browser's own flow is removed from the store; a denial link
                // opened elsewhere just returns to the app.
                if begunHere { _ = try? await flow.complete(callbackQuery: query, session: sessionID.map { .browser(sessionID: $0) }) }
                SignInMetrics.record(SignInFailure.denied.outcome, provider: flow.provider, factory: configuration.metricsFactory)
                return deniedResponse(request, pending: begunHere ? pending.removing(mark) : nil)
            }
            guard named != nil else { throw AuthorizationFlowError(.invalidCallback, provider: flow.provider, message: "no oauth_token") }
            guard let sessionID else {
                throw AuthorizationFlowError(.sessionRequired, provider: flow.provider, message: "no session cookie")
            }
            guard begunHere, let mark else {
                // Not begun by this browser (another profile, a mailed link) or forgotten:
                // refuse without touching the store, so the browser that began it can finish.
                context.logger.notice(
                    "sign-in callback refused: not begun by this browser", metadata: ["provider": "\(flow.provider)"])
                SignInMetrics.record(SignInFailure.foreignCallback.outcome, provider: flow.provider, factory: configuration.metricsFactory)
                return SignInPage.response(for: .foreignCallback, startAgain: startAgain, appPath: configuration.appPath)
            }
            let completion = try await flow.complete(callbackQuery: query, session: .browser(sessionID: sessionID))
            pending.remove(mark)
            SignInMetrics.record("ok", provider: flow.provider, factory: configuration.metricsFactory)
            var response: Response
            do {
                response = try await signedIn(SignedIn(completion: completion, sessionID: sessionID), request, context)
            } catch {
                context.logger.error(
                    "the app's signed-in handler failed", metadata: ["provider": "\(flow.provider)", "error": "\(error)"])
                response = SignInPage.response(for: .internalError, startAgain: nil, appPath: configuration.appPath)
            }
            // The callback URL carries the verifier: never let it leave in a Referer.
            SafetyHeaders.apply(to: &response.headers)
            response.setCookie(pendingCookie(pending, secure: cookiesAreSecure(request)))
            return response
        } catch {
            let failure = SignInFailure(error, atCallback: true)
            SignInMetrics.record(failure.outcome, provider: flow.provider, factory: configuration.metricsFactory)
            if failure == .denied { return deniedResponse(request, pending: nil) }
            log(failure, error, context: context, stage: "callback")
            return SignInPage.response(for: failure, startAgain: startAgain, appPath: configuration.appPath)
        }
    }

    /// Back to the app, which shows that the user declined.
    private func deniedResponse(_ request: Request, pending: PendingFlows?) -> Response {
        let separator = configuration.appPath.contains("?") ? "&" : "?"
        var response = Response.redirect(to: configuration.appPath + separator + "sign_in=denied", type: .normal)
        SafetyHeaders.apply(to: &response.headers)
        if let pending { response.setCookie(pendingCookie(pending, secure: cookiesAreSecure(request))) }
        return response
    }

    private func log(_ failure: SignInFailure, _ error: any Error, context: Context, stage: String) {
        // The library's error descriptions never carry a secret or a session id.
        let metadata: Logger.Metadata = ["provider": "\(flow.provider)", "stage": "\(stage)", "error": "\(error)"]
        switch failure {
        case .internalError, .storeUnavailable, .providerUnavailable: context.logger.error("sign-in failed", metadata: metadata)
        default: context.logger.notice("sign-in refused", metadata: metadata)
        }
    }

    /// `/auth/twitter` for `/auth/twitter/callback`.
    static func beginPath(fromCallbackPath path: String) -> String? {
        guard path.hasSuffix("/callback") else { return nil }
        let begin = String(path.dropLast("/callback".count))
        return LocalPath.isLocal(begin) ? begin : nil
    }

    func cookiesAreSecure(_ request: Request) -> Bool { configuration.cookiesAreSecure(for: request) }

    func cookie(_ name: String, _ value: String, maxAge: Int?, secure: Bool) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// The pending-flows cookie, living as long as a pending request token; cleared when empty.
    func pendingCookie(_ pending: PendingFlows, secure: Bool) -> Cookie {
        let seconds = flow.requestTokenTimeToLive.components.seconds
        let maxAge = pending.marks.isEmpty ? 0 : Int(clamping: max(1, seconds))
        return cookie(configuration.pendingCookieName, pending.cookieValue, maxAge: maxAge, secure: secure)
    }
}

extension PendingFlows {
    func removing(_ mark: String?) -> PendingFlows {
        var copy = self
        if let mark { copy.remove(mark) }
        return copy
    }
}
