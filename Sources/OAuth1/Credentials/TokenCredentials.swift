/// A token (request or access) and its secret.
///
/// ``description``, ``debugDescription`` and the reflection mirror redact the secret.
public struct TokenCredentials: Sendable, Hashable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// The token identifier, sent as `oauth_token`.
    public var token: String
    /// The token secret; never sent, never printed.
    public var secret: String

    /// Creates token credentials.
    public init(token: String, secret: String) {
        self.token = token
        self.secret = secret
    }

    public var description: String { "TokenCredentials(token: \(token), secret: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["token": token, "secret": "<redacted>"], displayStyle: .struct)
    }
}
