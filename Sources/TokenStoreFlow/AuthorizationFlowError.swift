import TokenStoreKit

/// The error ``AuthorizationFlow`` throws for what goes wrong between the app, its store
/// and the callback.
///
/// Failures of the provider exchange propagate as `OAuth1Error` (user denied, provider
/// rejected, transport failure, ...) and failures of the store as `TokenStoreError`,
/// unchanged. ``description`` never contains a token secret, a consumer secret or the
/// raw session id.
public struct AuthorizationFlowError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. Cases can be added without breaking callers that
    /// `switch` with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case requestTokenNotFound = "request token not found"
            case sessionRequired = "session required"
            case sessionMismatch = "session mismatch"
            case providerMismatch = "provider mismatch"
            case missingUserID = "missing user id"
            case accessTokenNotFound = "access token not found"
            case invalidCallback = "invalid callback"
            case invalidConfiguration = "invalid configuration"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The callback names a request token the store does not hold: unknown, expired or
        /// already used (a replayed callback, or a second tab finishing the same flow).
        public static let requestTokenNotFound = Code(.requestTokenNotFound)
        /// A browser session id is needed but none (or an empty one) was given.
        public static let sessionRequired = Code(.sessionRequired)
        /// The callback came with another session than the one that began the flow, or a
        /// desktop flow's token was completed as a browser flow (or the other way round).
        public static let sessionMismatch = Code(.sessionMismatch)
        /// The request token was saved by a flow for another provider.
        public static let providerMismatch = Code(.providerMismatch)
        /// The access-token response did not identify the user, so the token has no key.
        public static let missingUserID = Code(.missingUserID)
        /// No access token is stored under the key asked for.
        public static let accessTokenNotFound = Code(.accessTokenNotFound)
        /// The callback URL or query cannot be parsed, or lacks `oauth_token`.
        public static let invalidCallback = Code(.invalidCallback)
        /// The flow's configuration cannot work (e.g. an empty provider id).
        public static let invalidConfiguration = Code(.invalidConfiguration)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// The provider id of the flow (the app's name for the provider, e.g. `twitter`).
    public var provider: String
    /// What went wrong and what to do about it; never a secret or a session id.
    public var message: String
    /// The request token (`oauth_token`, public) or access-token key involved, if any.
    public var record: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - provider: The flow's provider id.
    ///   - message: What went wrong, for a person. Never put a secret or a session id here.
    ///   - record: The public token or key involved.
    public init(_ code: Code, provider: String, message: String, record: String? = nil) {
        self.code = code
        self.provider = provider
        self.message = message
        self.record = record
    }

    public var description: String {
        var text = "AuthorizationFlowError(\(code)): \(provider): \(message)"
        if let record { text += " (\(record))" }
        return text
    }

    public var debugDescription: String { description }
}
