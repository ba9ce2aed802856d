/// The provider's answer to the access-token request: token credentials plus whatever
/// else it returned (`user_id`, `screen_name`, ...).
///
/// ``description``, ``debugDescription`` and the reflection mirror (`dump`) never show the
/// token secret.
public struct AccessTokenResponse: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// `oauth_token` and `oauth_token_secret`.
    public var credentials: TokenCredentials
    /// Every other field of the response, in order.
    public var extraParameters: [OAuth1Parameter]

    /// Creates a response.
    public init(credentials: TokenCredentials, extraParameters: [OAuth1Parameter] = []) {
        self.credentials = credentials
        self.extraParameters = extraParameters
    }

    /// `user_id`, when the provider returns it (Twitter does).
    public var userID: String? { extraParameters.first(named: "user_id") }
    /// `screen_name`, when the provider returns it.
    public var screenName: String? { extraParameters.first(named: "screen_name") }
    /// `x_auth_access_type` or `access_type`, when the provider returns one.
    public var accessType: String? {
        extraParameters.first(named: "x_auth_access_type") ?? extraParameters.first(named: "access_type")
    }

    public var description: String {
        "AccessTokenResponse(token: \(credentials.token), secret: <redacted>, userID: \(userID ?? "nil"), "
            + "screenName: \(screenName ?? "nil"))"
    }
    public var debugDescription: String {
        description.dropLast() + ", extra fields: \(extraParameters.map(\.name)))"
    }
    public var customMirror: Mirror {
        Mirror(self, children: ["credentials": credentials, "extraParameters": extraParameters], displayStyle: .struct)
    }
}
