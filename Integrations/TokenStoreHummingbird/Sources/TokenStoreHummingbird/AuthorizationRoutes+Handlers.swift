import Foundation
import Hummingbird
import OAuth1
import TokenStoreFlow
import TokenStoreKit

extension AuthorizationRoutes {
    /// What these routes share with ``OAuth2AuthorizationRoutes``.
    var core: SignInRoutesCore<Context> {
        SignInRoutesCore(
            provider: flow.provider, session: session, configuration: configuration,
            pendingTimeToLive: flow.requestTokenTimeToLive)
    }

    /// `GET <provider>`: begins the flow and redirects (302) to the provider.
    func begin(_ request: Request, context: Context) async -> Response {
        let core = self.core
        do {
            guard let session = try await core.beginSession(request, context: context) else {
                return core.page(.internalError, startAgain: nil)
            }
            let start = try await flow.begin(session: .browser(sessionID: session.id), returnTo: core.returnTo(of: request))
            return try core.redirectToProvider(
                start.authorizationURL, flowName: start.requestToken, session: session, request: request)
        } catch {
            return core.beginFailed(error, context: context)
        }
    }

    /// `GET <provider>/callback`: checks the callback belongs to this browser, completes
    /// the flow, and hands over to the app's "signed in" handler.
    func callback(_ request: Request, context: Context) async -> Response {
        let core = self.core
        let query = request.uri.query ?? ""
        let startAgain = SignInRoutesCore<Context>.beginPath(fromCallbackPath: request.uri.path)
        do {
            let fields = (try? OAuth1PercentEncoding.parseForm(query)) ?? []
            let sessionID = try await core.callbackSession(request, context: context)
            var pending = core.pendingFlows(of: request)
            let named = fields.first(named: "denied") ?? fields.first(named: "oauth_token")
            let mark = try sessionID.flatMap { id in try named.map { try PendingFlows.mark(oauthToken: $0, sessionID: id) } }
            let begunHere = mark.map(pending.contains) ?? false

            if fields.first(named: "denied") != nil {
                // Only this browser's own flow is removed from the store; a denial link
                // opened elsewhere just returns to the app.
                if begunHere { _ = try? await flow.complete(callbackQuery: query, session: sessionID.map { .browser(sessionID: $0) }) }
                return core.denied(request, pending: begunHere ? pending.removing(mark) : nil)
            }
            guard named != nil else { throw AuthorizationFlowError(.invalidCallback, provider: flow.provider, message: "no oauth_token") }
            guard let sessionID else {
                throw AuthorizationFlowError(.sessionRequired, provider: flow.provider, message: "no session cookie")
            }
            guard begunHere, let mark else { return core.foreignCallback(context: context, startAgain: startAgain) }
            let completion = try await flow.complete(callbackQuery: query, session: .browser(sessionID: sessionID))
            pending.remove(mark)
            return await core.completed(pending: pending, request: request, context: context) {
                try await signedIn(SignedIn(completion: completion, sessionID: sessionID), request, context)
            }
        } catch {
            return core.callbackFailed(error, request: request, context: context, startAgain: startAgain)
        }
    }
}
