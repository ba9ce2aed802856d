import Foundation

/// One authorization in progress: the URL to send the user to, and what the app must keep
/// until the callback (the `state`, the PKCE verifier, the redirect URI and scopes).
///
/// Made by ``OAuth2Client/authorizationRequest(scopes:redirectURI:extraParameters:)``. Keep it where
/// the callback can find it by ``state`` and take it once (the store's pending
/// authorization); the callback is checked against it with
/// ``OAuth2Client/exchange(_:for:)``.
///
/// ``description``, ``debugDescription`` and the reflection mirror never show the verifier.
public struct OAuth2AuthorizationRequest: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The authorization URL with every parameter: redirect the user's browser here.
    public var url: URL
    /// `state`: 256 bits from the CSPRNG, echoed by the provider to the callback.
    public var state: String
    /// The PKCE verifier and challenge.
    public var pkce: OAuth2PKCE
    /// `redirect_uri`, sent again with the code exchange.
    public var redirectURI: URL
    /// The scopes asked for.
    public var scopes: [String]

    /// Creates a request from its parts (e.g. when reading a pending authorization back
    /// from a store).
    public init(url: URL, state: String, pkce: OAuth2PKCE, redirectURI: URL, scopes: [String]) {
        self.url = url
        self.state = state
        self.pkce = pkce
        self.redirectURI = redirectURI
        self.scopes = scopes
    }

    /// The length in bytes of the random `state` (256 bits, 43 base64url characters).
    public static let stateByteCount = 32

    public var description: String {
        "OAuth2AuthorizationRequest(state: \(state), redirectURI: \(redirectURI.absoluteString), "
            + "scopes: \(scopes.joined(separator: " ")), verifier: <redacted>)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "url": url, "state": state, "pkce": pkce, "redirectURI": redirectURI, "scopes": scopes,
            ], displayStyle: .struct)
    }
}
