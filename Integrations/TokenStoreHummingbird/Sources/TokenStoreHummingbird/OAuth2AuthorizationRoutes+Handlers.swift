import Foundation
import Hummingbird
import OAuth1
import OAuth2
import TokenStoreFlow
import TokenStoreKit

extension OAuth2AuthorizationRoutes {
    /// What these routes share with ``AuthorizationRoutes``.
    var core: SignInRoutesCore<Context> {
        SignInRoutesCore(
            provider: flow.provider, session: session, configuration: configuration,
            pendingTimeToLive: flow.pendingTimeToLive)
    }

    /// `GET <provider>`: begins the flow and redirects (302) to the provider.
    func begin(_ request: Request, context: Context) async -> Response {
        let core = self.core
        do {
            guard let session = try await core.beginSession(request, context: context) else {
                return core.page(.internalError, startAgain: nil)
            }
            let start = try await flow.begin(
                session: .browser(sessionID: session.id), returnTo: core.returnTo(of: request), scopes: scopes)
            return try core.redirectToProvider(start.authorizationURL, flowName: start.state, session: session, request: request)
        } catch {
            return core.beginFailed(error, context: context)
        }
    }

    /// `GET <provider>/callback`: checks the callback belongs to this browser, completes
    /// the flow (code exchange, `identify`, token set stored), and hands over to the app's
    /// "signed in" handler.
    func callback(_ request: Request, context: Context) async -> Response {
        let core = self.core
        let query = request.uri.query ?? ""
        let startAgain = SignInRoutesCore<Context>.beginPath(fromCallbackPath: request.uri.path)
        do {
            let fields = (try? OAuth1PercentEncoding.parseForm(query)) ?? []
            let sessionID = try await core.callbackSession(request, context: context)
            var pending = core.pendingFlows(of: request)
            let state = fields.first(named: "state")
            let mark = try sessionID.flatMap { id in try state.map { try PendingFlows.mark(oauthToken: $0, sessionID: id) } }
            let begunHere = mark.map(pending.contains) ?? false

            if let redirectError = fields.first(named: "error") {
                guard begunHere else {
                    // Not this browser's flow: the store keeps it. A denial just returns to the app.
                    if redirectError == OAuth2Error.Code.accessDenied.protocolErrorCode { return core.denied(request, pending: nil) }
                    return core.foreignCallback(context: context, startAgain: startAgain)
                }
                // `complete` discards this browser's pending authorization and throws the
                // redirect's error (access_denied: back to the app).
                do {
                    _ = try await flow.complete(callbackQuery: query, session: sessionID.map { .browser(sessionID: $0) }) { _ in
                        throw OAuth2Error(.invalidCallback, message: "an error redirect cannot identify a user")
                    }
                } catch where SignInFailure(error, atCallback: true) == .denied {
                    return core.denied(request, pending: pending.removing(mark))
                }
                throw OAuth2Error(.invalidCallback, message: "the error redirect completed nothing")
            }
            guard state != nil else { throw AuthorizationFlowError(.invalidCallback, provider: flow.provider, message: "no state") }
            guard let sessionID else {
                throw AuthorizationFlowError(.sessionRequired, provider: flow.provider, message: "no session cookie")
            }
            guard begunHere, let mark else { return core.foreignCallback(context: context, startAgain: startAgain) }
            let completion = try await flow.complete(
                callbackQuery: query, session: .browser(sessionID: sessionID), identify: identify)
            pending.remove(mark)
            return await core.completed(pending: pending, request: request, context: context) {
                try await signedIn(SignedIn(completion: completion, sessionID: sessionID), request, context)
            }
        } catch {
            return core.callbackFailed(error, request: request, context: context, startAgain: startAgain)
        }
    }
}
