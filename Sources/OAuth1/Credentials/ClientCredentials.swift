/// The client (consumer) key and secret an OAuth provider issued to an application.
///
/// ``description``, ``debugDescription`` and the reflection mirror redact the secret.
public struct ClientCredentials: Sendable, Hashable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// The client identifier, sent as `oauth_consumer_key`.
    public var key: String
    /// The shared secret; never sent, never printed.
    public var secret: String

    /// Creates client credentials.
    public init(key: String, secret: String) {
        self.key = key
        self.secret = secret
    }

    public var description: String { "ClientCredentials(key: \(key), secret: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["key": key, "secret": "<redacted>"], displayStyle: .struct)
    }
}
