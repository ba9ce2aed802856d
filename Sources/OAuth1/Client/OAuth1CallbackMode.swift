import Foundation

/// Where the provider sends the user after authorization.
public enum OAuth1CallbackMode: Sendable, Hashable {
    /// A web app's callback URL; the provider redirects there with `oauth_token` and
    /// `oauth_verifier`.
    case url(URL)
    /// Out of band (`oob`): the provider shows a PIN that the user types into the app.
    case outOfBand

    /// The `oauth_callback` value.
    public var parameterValue: String {
        switch self {
        case .url(let url): url.absoluteString
        case .outOfBand: "oob"
        }
    }
}
