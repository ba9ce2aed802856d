import TokenStoreKit

/// Why ``OAuth2TokenRefresher/validAccessToken(for:)`` has no token to give.
///
/// Provider errors other than a rejected refresh token arrive as `OAuth2Error`, store
/// failures as `TokenStoreError`.
public struct OAuth2RefreshError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for a caller to branch on.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable {
            case notSignedIn = "not signed in"
            case signInRequired = "sign-in required"
            case waitTimedOut = "wait timed out"
            case invalidConfiguration = "invalid configuration"
        }
        let base: Base

        /// No token set is stored for the user: send them to sign in.
        public static let notSignedIn = Code(base: .notSignedIn)
        /// The token set can no longer be refreshed (the provider rejected the stored refresh
        /// token, or the access token expired and there is no refresh token): send the user to
        /// sign in again. The token set stays stored, marked with
        /// `OAuth2TokenSet.invalidatedAt`, until a new sign-in replaces it.
        public static let signInRequired = Code(base: .signInRequired)
        /// Another worker held the refresh lease for longer than the wait allowed and no new
        /// token appeared: the provider is slow, or the holder died and its lease has not
        /// expired yet. Retrying later is safe.
        public static let waitTimedOut = Code(base: .waitTimedOut)
        /// The refresher's settings cannot work (e.g. a lease shorter than the client's
        /// timeout, which would let a second worker refresh while the first still waits).
        public static let invalidConfiguration = Code(base: .invalidConfiguration)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The token set's key.
    public var key: AccessTokenKey
    /// A message a person can act on; never a token.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, key: AccessTokenKey, message: String) {
        self.code = code
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(code): \(message)" }
}

