/// A request token (RFC 5849 "temporary credentials") as the provider issued it.
///
/// ``description``, ``debugDescription`` and the reflection mirror (`dump`) never show ``secret``.
public struct TemporaryCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// `oauth_token`.
    public var token: String
    /// `oauth_token_secret`.
    public var secret: String
    /// Whether the provider answered `oauth_callback_confirmed=true`.
    public var callbackConfirmed: Bool
    /// Every other field of the response, in order.
    public var extraParameters: [OAuth1Parameter]

    /// Creates temporary credentials.
    public init(token: String, secret: String, callbackConfirmed: Bool = true, extraParameters: [OAuth1Parameter] = []) {
        self.token = token
        self.secret = secret
        self.callbackConfirmed = callbackConfirmed
        self.extraParameters = extraParameters
    }

    /// The token and secret as credentials for signing the access-token request.
    public var credentials: TokenCredentials { TokenCredentials(token: token, secret: secret) }

    public var description: String {
        "TemporaryCredentials(token: \(token), secret: <redacted>, callbackConfirmed: \(callbackConfirmed))"
    }
    public var debugDescription: String {
        description.dropLast() + ", extra fields: \(extraParameters.map(\.name)))"
    }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "token": token, "secret": "<redacted>", "callbackConfirmed": callbackConfirmed,
                "extraParameters": extraParameters,
            ], displayStyle: .struct)
    }
}
