/// The one error the `OAuth1` module throws.
///
/// Modelled on a struct with an extensible ``Code`` so new kinds of failure can be added
/// without breaking callers that `switch` with a `default`.
///
/// ``description`` says what went wrong in words a person can act on and never contains a
/// consumer secret, a token secret or a private key. The provider's own error text, the
/// raw response body and the underlying error appear only in ``debugDescription``.
public struct OAuth1Error: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case providerRejected = "provider rejected the request"
            case malformedResponse = "malformed response"
            case callbackNotConfirmed = "callback not confirmed"
            case tokenMismatch = "token mismatch"
            case userDenied = "user denied"
            case missingVerifier = "missing verifier"
            case transportFailure = "transport failure"
            case timedOut = "timed out"
            case invalidKey = "invalid key"
            case invalidRequest = "invalid request"
            case cancelled = "cancelled"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The provider answered with a non-success HTTP status (see ``OAuth1Error/httpStatus``).
        public static let providerRejected = Code(.providerRejected)
        /// A token response could not be parsed or lacks required fields.
        public static let malformedResponse = Code(.malformedResponse)
        /// The request-token response lacked `oauth_callback_confirmed=true`.
        public static let callbackNotConfirmed = Code(.callbackNotConfirmed)
        /// The callback's `oauth_token` is not the request token being completed.
        public static let tokenMismatch = Code(.tokenMismatch)
        /// The user declined the authorization (`denied=...` in the callback).
        public static let userDenied = Code(.userDenied)
        /// The callback carried no `oauth_verifier`.
        public static let missingVerifier = Code(.missingVerifier)
        /// The HTTP exchange failed below the protocol (connection refused, reset, TLS).
        public static let transportFailure = Code(.transportFailure)
        /// The HTTP exchange did not finish within its timeout.
        public static let timedOut = Code(.timedOut)
        /// A key (PEM) could not be read or is of the wrong type, or signing with it failed.
        public static let invalidKey = Code(.invalidKey)
        /// The request or an input to signing is malformed (bad URL, bad percent-encoding,
        /// a body that cannot carry the chosen placement, a failing random source).
        public static let invalidRequest = Code(.invalidRequest)
        /// The operation was cancelled.
        public static let cancelled = Code(.cancelled)

        public var description: String { base.rawValue }
    }

    /// The longest raw response body kept in ``responseBody``, in UTF-8 bytes.
    public static let maximumResponseBodyLength = 2048

    /// The kind of failure.
    public var code: Code
    /// What went wrong, for a person; never a secret.
    public var message: String
    /// The provider's HTTP status, when a response was received.
    public var httpStatus: Int?
    /// The provider's own error text, parsed from the response body (form, JSON or XML).
    public var providerMessage: String?
    /// The raw response body, truncated to ``maximumResponseBodyLength`` bytes.
    public var responseBody: String?
    /// The underlying error, if any. Its text appears only in ``debugDescription``.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What went wrong, for a person. Never put a secret here.
    ///   - httpStatus: The provider's HTTP status, if a response was received.
    ///   - providerMessage: The provider's own error text.
    ///   - responseBody: The raw response body; truncated to ``maximumResponseBodyLength``.
    ///   - underlying: The error that caused this one.
    public init(
        _ code: Code,
        message: String,
        httpStatus: Int? = nil,
        providerMessage: String? = nil,
        responseBody: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.providerMessage = providerMessage
        self.responseBody = responseBody.map(Self.truncated)
        self.underlying = underlying
    }

    /// Creates an error with a labelled code, for call sites that read better that way.
    public init(
        code: Code,
        message: String,
        httpStatus: Int? = nil,
        providerMessage: String? = nil,
        responseBody: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.init(
            code, message: message, httpStatus: httpStatus, providerMessage: providerMessage,
            responseBody: responseBody, underlying: underlying)
    }

    public var description: String {
        var text = "OAuth1Error(\(code)): \(message)"
        if let httpStatus { text += " [HTTP \(httpStatus)]" }
        return text
    }

    public var debugDescription: String {
        var text = description
        if let providerMessage { text += "; provider says: \(providerMessage)" }
        if let responseBody { text += "; response body: \(responseBody)" }
        if let underlying { text += "; underlying: \(String(reflecting: underlying))" }
        return text
    }

    /// Cuts `body` to at most ``maximumResponseBodyLength`` UTF-8 bytes on a character boundary.
    private static func truncated(_ body: String) -> String {
        guard body.utf8.count > maximumResponseBodyLength else { return body }
        var result = ""
        var length = 0
        for character in body {
            let size = character.utf8.count
            if length + size > maximumResponseBodyLength { break }
            result.append(character)
            length += size
        }
        return result + "…"
    }
}
