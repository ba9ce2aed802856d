import TokenStoreKit

/// Who may complete an authorization: the browser session that began it, or nobody in
/// particular (the desktop/out-of-band flow, finished with a PIN).
///
/// A web app passes its own session identifier: the value behind its session cookie, or
/// a random value it keeps in the session. The flow stores only a hash of it with the
/// request token (see ``SessionBinding``), and the callback completes only when it comes
/// with the same session. That stops an attacker from beginning a flow, authorizing it
/// with their own provider account and mailing the callback link to a victim, whose
/// session would otherwise get the attacker's account linked.
///
/// The choice is explicit: there is no default, and an empty browser session id is
/// refused with ``AuthorizationFlowError/Code/sessionRequired`` rather than treated as
/// "no session". ``description`` never shows the session id.
public enum FlowSession: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// A web flow begun and completed by the browser session `sessionID` (opaque; keep it
    /// unguessable, e.g. the session cookie's value).
    case browser(sessionID: String)
    /// The desktop flow: the user types a PIN into the app that began it
    /// (`oauth_callback=oob`, finished with
    /// ``AuthorizationFlow/completeOutOfBand(requestToken:verifier:)``), or the provider
    /// redirects to the app's own loopback listener (finished with
    /// ``AuthorizationFlow/complete(callback:session:)`` and `.outOfBand`). There is no
    /// browser session to bind to.
    case outOfBand

    public var description: String {
        switch self {
        case .browser: "FlowSession.browser(sessionID: <redacted>)"
        case .outOfBand: "FlowSession.outOfBand"
        }
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        switch self {
        case .browser: Mirror(self, children: ["sessionID": "<redacted>"], displayStyle: .enum)
        case .outOfBand: Mirror(self, children: [], displayStyle: .enum)
        }
    }
}
