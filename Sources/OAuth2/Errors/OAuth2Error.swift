/// The one error the `OAuth2` module throws.
///
/// A struct with an extensible ``Code``, like `OAuth1Error`, so new kinds of failure can be
/// added without breaking callers that `switch` with a `default`.
///
/// Every error code of RFC 6749 (sections 4.1.2.1 and 5.2) and RFC 7009 has its own
/// ``Code``, so a caller writes `error.code == .invalidGrant`, whether the code came in the
/// redirect to the app's callback or in a token endpoint's error body. The provider's own
/// text is kept in ``providerDescription``, cut to ``maximumProviderTextLength`` characters
/// with control characters removed, and with every secret the client sent (the client
/// secret, the code, the PKCE verifier, the refresh token) replaced by `<redacted>`.
///
/// ``description`` and ``message`` never contain a secret and never a raw response body:
/// a half-valid token response may carry a token. The provider's text appears only in
/// ``debugDescription``.
public struct OAuth2Error: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            // RFC 6749 section 4.1.2.1 (authorization response) and 5.2 (token endpoint).
            case invalidRequest = "invalid_request"
            case unauthorizedClient = "unauthorized_client"
            case accessDenied = "access_denied"
            case unsupportedResponseType = "unsupported_response_type"
            case invalidScope = "invalid_scope"
            case serverError = "server_error"
            case temporarilyUnavailable = "temporarily_unavailable"
            case invalidClient = "invalid_client"
            case invalidGrant = "invalid_grant"
            case unsupportedGrantType = "unsupported_grant_type"
            // RFC 7009 section 2.2.1.
            case unsupportedTokenType = "unsupported_token_type"
            // This library's own.
            case providerRejected = "provider rejected the request"
            case malformedResponse = "malformed response"
            case unexpectedTokenType = "unexpected token type"
            case stateMismatch = "state mismatch"
            case issuerMismatch = "issuer mismatch"
            case invalidCallback = "invalid callback"
            case invalidInput = "invalid input"
            case unsupportedOperation = "unsupported operation"
            case randomSourceFailed = "random source failed"
            case transportFailure = "transport failure"
            case timedOut = "timed out"
            case cancelled = "cancelled"

            var isProtocolCode: Bool {
                switch self {
                case .invalidRequest, .unauthorizedClient, .accessDenied, .unsupportedResponseType, .invalidScope,
                    .serverError, .temporarilyUnavailable, .invalidClient, .invalidGrant, .unsupportedGrantType,
                    .unsupportedTokenType:
                    return true
                default:
                    return false
                }
            }
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// `invalid_request`: the provider found the request malformed (a missing or
        /// repeated parameter, an unsupported value).
        public static let invalidRequest = Code(.invalidRequest)
        /// `unauthorized_client`: the client may not use this grant or response type.
        public static let unauthorizedClient = Code(.unauthorizedClient)
        /// `access_denied`: the user (or the provider) declined the authorization.
        public static let accessDenied = Code(.accessDenied)
        /// `unsupported_response_type`: the provider does not issue authorization codes this way.
        public static let unsupportedResponseType = Code(.unsupportedResponseType)
        /// `invalid_scope`: a requested scope is unknown, malformed or more than was granted.
        public static let invalidScope = Code(.invalidScope)
        /// `server_error`: the provider failed while handling the authorization request.
        public static let serverError = Code(.serverError)
        /// `temporarily_unavailable`: the provider is overloaded or in maintenance; retry later.
        public static let temporarilyUnavailable = Code(.temporarilyUnavailable)
        /// `invalid_client`: client authentication failed (unknown client, wrong secret, wrong
        /// authentication method); also a token endpoint's HTTP 401 without a readable error
        /// body (RFC 6749 section 5.2 answers a refused client with 401).
        public static let invalidClient = Code(.invalidClient)
        /// `invalid_grant`: the code or refresh token is invalid, expired, revoked, already
        /// used, issued to another client, or the redirect URI or PKCE verifier does not match.
        /// On a refresh, the user must usually sign in again.
        public static let invalidGrant = Code(.invalidGrant)
        /// `unsupported_grant_type`: the provider does not support this grant.
        public static let unsupportedGrantType = Code(.unsupportedGrantType)
        /// `unsupported_token_type` (RFC 7009): the provider cannot revoke this kind of token.
        public static let unsupportedTokenType = Code(.unsupportedTokenType)
        /// The provider answered an HTTP error (see ``OAuth2Error/httpStatus``) without an
        /// RFC 6749 error code this library knows (see ``OAuth2Error/providerErrorCode``), or
        /// an HTML page, or a redirect.
        public static let providerRejected = Code(.providerRejected)
        /// A success response could not be read: not JSON (or form), no `access_token`, an
        /// `expires_in` that is negative, too large or not a number, a token with characters
        /// a header cannot carry, a body too large.
        public static let malformedResponse = Code(.malformedResponse)
        /// The provider issued a token of a type other than `Bearer`.
        public static let unexpectedTokenType = Code(.unexpectedTokenType)
        /// The callback's `state` is not the one of the authorization being completed (a
        /// forged or crossed callback).
        public static let stateMismatch = Code(.stateMismatch)
        /// The callback's `iss` (RFC 9207) is missing or names another authorization server
        /// than ``OAuth2ProviderEndpoints/issuer`` (a mix-up attack, or a misconfiguration).
        public static let issuerMismatch = Code(.issuerMismatch)
        /// The callback URL carries neither a code nor an error, or is malformed.
        public static let invalidCallback = Code(.invalidCallback)
        /// An argument or the client's configuration is unusable (an empty code, a verifier
        /// outside RFC 7636's syntax, a missing client secret, a reserved parameter name).
        public static let invalidInput = Code(.invalidInput)
        /// The provider has no endpoint for the operation (e.g. no revocation endpoint).
        public static let unsupportedOperation = Code(.unsupportedOperation)
        /// The CSPRNG failed; no weaker `state` or verifier is ever made.
        public static let randomSourceFailed = Code(.randomSourceFailed)
        /// The HTTP exchange failed below the protocol (connection refused, reset, TLS).
        public static let transportFailure = Code(.transportFailure)
        /// The HTTP exchange did not finish within its timeout.
        public static let timedOut = Code(.timedOut)
        /// The calling task was cancelled.
        public static let cancelled = Code(.cancelled)

        /// The code for an RFC 6749 / RFC 7009 `error` value, or `nil` for any other value.
        public init?(protocolErrorCode: String) {
            guard let base = Base(rawValue: protocolErrorCode), base.isProtocolCode else { return nil }
            self.init(base)
        }

        /// The RFC 6749 / RFC 7009 `error` value (`invalid_grant`), or `nil` for this library's
        /// own codes.
        public var protocolErrorCode: String? { base.isProtocolCode ? base.rawValue : nil }

        public var description: String { base.rawValue }
    }

    /// The longest provider text (``providerDescription``, ``providerErrorCode``,
    /// ``providerErrorURI``) kept, in characters.
    public static let maximumProviderTextLength = 512

    /// The kind of failure.
    public var code: Code
    /// What went wrong and where, for a person; never a secret.
    public var message: String
    /// The provider's HTTP status, when a response was received.
    public var httpStatus: Int?
    /// The `error` value the provider sent, sanitized, also when it is not one
    /// ``Code/init(protocolErrorCode:)`` knows (GitHub's `bad_verification_code`).
    public var providerErrorCode: String?
    /// `error_description`, sanitized (bounded, control characters removed, secrets redacted).
    public var providerDescription: String?
    /// `error_uri`, sanitized.
    public var providerErrorURI: String?
    /// The underlying error, if any. Its text appears only in ``debugDescription``.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What went wrong, for a person. Never put a secret here.
    ///   - httpStatus: The provider's HTTP status, if a response was received.
    ///   - providerErrorCode: The provider's `error` value; sanitized here.
    ///   - providerDescription: The provider's `error_description`; sanitized here.
    ///   - providerErrorURI: The provider's `error_uri`; sanitized here.
    ///   - underlying: The error that caused this one.
    public init(
        _ code: Code,
        message: String,
        httpStatus: Int? = nil,
        providerErrorCode: String? = nil,
        providerDescription: String? = nil,
        providerErrorURI: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.providerErrorCode = providerErrorCode.flatMap { OAuth2Text.sanitized($0) }
        self.providerDescription = providerDescription.flatMap { OAuth2Text.sanitized($0) }
        self.providerErrorURI = providerErrorURI.flatMap { OAuth2Text.sanitized($0) }
        self.underlying = underlying
    }

    /// Whether trying again later may succeed: the provider was unreachable, slow,
    /// overloaded or failing (`temporarily_unavailable`, `server_error`, HTTP 429 or 5xx).
    /// `invalid_grant` and the other protocol errors are not retryable.
    public var isRetryable: Bool {
        switch code {
        case .transportFailure, .timedOut, .temporarilyUnavailable, .serverError: return true
        case .providerRejected, .malformedResponse:
            guard let httpStatus else { return false }
            return httpStatus == 429 || (500..<600).contains(httpStatus)
        default: return false
        }
    }

    public var description: String {
        var text = "OAuth2Error(\(code)): \(message)"
        if let httpStatus { text += " [HTTP \(httpStatus)]" }
        return text
    }

    public var debugDescription: String {
        var text = description
        if let providerErrorCode { text += "; error: \(providerErrorCode)" }
        if let providerDescription { text += "; provider says: \(providerDescription)" }
        if let providerErrorURI { text += "; error_uri: \(providerErrorURI)" }
        if let underlying { text += "; underlying: \(String(reflecting: underlying))" }
        return text
    }
}
