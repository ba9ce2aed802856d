import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// What the OAuth 1.0a and OAuth 2.0 sign-in routes share, so both behave alike: the
/// browser session, the pending-flows cookie, the redirect to the provider, the hand-over
/// to the app's handler, and failures as pages, metrics and log lines.
///
/// A flow is named by a public value the callback carries back (OAuth 1.0a `oauth_token`,
/// OAuth 2.0 `state`); the pending-flows cookie keeps a keyed hash of that name.
struct SignInRoutesCore<Context: RequestContext>: Sendable {
    let provider: String
    let session: AuthorizationRoutes<Context>.Session
    let configuration: AuthorizationRoutes<Context>.Configuration
    /// How long a pending flow waits for its callback: the pending cookie's lifetime.
    let pendingTimeToLive: Duration

    /// The session a `begin` binds its flow to.
    struct BeginSession {
        let id: String
        /// Set when the routes made the id: the answer must set the session cookie.
        let isNew: Bool
    }

    // MARK: Begin

    /// The session for a `begin`; `nil` when the app's session reader gave none (logged).
    func beginSession(_ request: Request, context: Context) async throws -> BeginSession? {
        switch session {
        case .cookie:
            if let existing = SessionCookie.value(named: configuration.sessionCookieName, in: request) {
                return BeginSession(id: existing, isNew: false)
            }
            return BeginSession(id: SessionCookie.newID(), isNew: true)
        case .app(let read):
            guard let id = try await read(request, context), !id.isEmpty else {
                context.logger.error(
                    "sign-in not begun: the app gave no session id for the request", metadata: ["provider": "\(provider)"])
                return nil
            }
            return BeginSession(id: id, isNew: false)
        }
    }

    /// The `return_to` query parameter, when it is a local path.
    func returnTo(of request: Request) -> String? {
        request.uri.queryParameters["return_to"].map(String.init).flatMap { LocalPath.isLocal($0) ? $0 : nil }
    }

    /// 302 to the provider, remembering in the pending cookie that this browser began the
    /// flow named `flowName`, and setting the session cookie when it is new.
    func redirectToProvider(_ url: URL, flowName: String, session: BeginSession, request: Request) throws -> Response {
        let secure = configuration.cookiesAreSecure(for: request)
        var pending = pendingFlows(of: request)
        pending.add(try PendingFlows.mark(oauthToken: flowName, sessionID: session.id), limit: configuration.maximumPendingFlows)
        var response = Response.redirect(to: url.absoluteString, type: .found)
        SafetyHeaders.apply(to: &response.headers)
        if session.isNew {
            response.setCookie(cookie(configuration.sessionCookieName, session.id, maxAge: nil, secure: secure))
        }
        response.setCookie(pendingCookie(pending, secure: secure))
        return response
    }

    /// The page for a `begin` that failed (logged, not counted: no sign-in was attempted).
    func beginFailed(_ error: any Error, context: Context) -> Response {
        let failure = SignInFailure(error, atCallback: false)
        log(failure, error, context: context, stage: "begin")
        return page(failure, startAgain: nil)
    }

    // MARK: Callback

    /// The session a callback request carries, `nil` when it has none.
    func callbackSession(_ request: Request, context: Context) async throws -> String? {
        switch session {
        case .cookie: SessionCookie.value(named: configuration.sessionCookieName, in: request)
        case .app(let read): try await read(request, context).flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    func pendingFlows(of request: Request) -> PendingFlows {
        PendingFlows(cookieValue: request.cookies[configuration.pendingCookieName]?.value)
    }

    /// A callback this browser did not begin (another profile, a mailed link) or forgot:
    /// refused without touching the store, so the browser that began it can still finish.
    func foreignCallback(context: Context, startAgain: String?) -> Response {
        context.logger.notice("sign-in callback refused: not begun by this browser", metadata: ["provider": "\(provider)"])
        record(SignInFailure.foreignCallback.outcome)
        return page(.foreignCallback, startAgain: startAgain)
    }

    /// Counts a completed sign-in, runs the app's handler and adds the safety headers and
    /// the updated pending cookie to its answer (a failing handler is a 500 page).
    func completed(
        pending: PendingFlows, request: Request, context: Context, handler: () async throws -> Response
    ) async -> Response {
        record("ok")
        var response: Response
        do {
            response = try await handler()
        } catch {
            context.logger.error("the app's signed-in handler failed", metadata: ["provider": "\(provider)", "error": "\(error)"])
            response = page(.internalError, startAgain: nil)
        }
        // The callback URL carries the verifier or code: never let it leave in a Referer.
        SafetyHeaders.apply(to: &response.headers)
        response.setCookie(pendingCookie(pending, secure: configuration.cookiesAreSecure(for: request)))
        return response
    }

    /// Back to the app with `sign_in=denied`, counted; `pending` is the cookie to set, if it changed.
    func denied(_ request: Request, pending: PendingFlows?) -> Response {
        record(SignInFailure.denied.outcome)
        let separator = configuration.appPath.contains("?") ? "&" : "?"
        var response = Response.redirect(to: configuration.appPath + separator + "sign_in=denied", type: .normal)
        SafetyHeaders.apply(to: &response.headers)
        if let pending { response.setCookie(pendingCookie(pending, secure: configuration.cookiesAreSecure(for: request))) }
        return response
    }

    /// The answer to a callback that failed: counted, logged, a page (or the denied redirect).
    func callbackFailed(_ error: any Error, request: Request, context: Context, startAgain: String?) -> Response {
        let failure = SignInFailure(error, atCallback: true)
        if failure == .denied { return denied(request, pending: nil) }
        record(failure.outcome)
        log(failure, error, context: context, stage: "callback")
        return page(failure, startAgain: startAgain)
    }

    // MARK: Pieces

    func page(_ failure: SignInFailure, startAgain: String?) -> Response {
        SignInPage.response(for: failure, startAgain: startAgain, appPath: configuration.appPath)
    }

    func record(_ outcome: String) {
        SignInMetrics.record(outcome, provider: provider, factory: configuration.metricsFactory)
    }

    private func log(_ failure: SignInFailure, _ error: any Error, context: Context, stage: String) {
        // The library's error descriptions never carry a secret or a session id.
        let metadata: Logger.Metadata = ["provider": "\(provider)", "stage": "\(stage)", "error": "\(error)"]
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

    func cookie(_ name: String, _ value: String, maxAge: Int?, secure: Bool) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// The pending-flows cookie, living as long as a pending flow; cleared when empty.
    func pendingCookie(_ pending: PendingFlows, secure: Bool) -> Cookie {
        let seconds = pendingTimeToLive.components.seconds
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
