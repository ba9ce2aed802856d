import Foundation
import OAuth1

/// What the provider sends back to the app's redirect URI after the user decided:
/// `code` and `state` (RFC 6749 section 4.1.2).
///
/// ```swift
/// let callback = try OAuth2Callback(url: request.url)  // throws .accessDenied, .invalidScope, ...
/// let tokens = try await client.exchange(callback, for: pending)  // checks state first
/// ```
///
/// A redirect that carries `error` (section 4.1.2.1) does not make a callback: ``init(url:)``
/// throws an ``OAuth2Error`` whose code is that error (``OAuth2Error/Code/accessDenied`` when
/// the user pressed "Deny"), with the provider's `error_description` sanitized. Use
/// ``state(in:)`` to find and discard the pending authorization then.
public struct OAuth2Callback: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// `code`: the authorization code, single use and short-lived. A secret.
    public var code: String
    /// `state`, as the provider echoed it.
    public var state: String
    /// `iss` (RFC 9207), when the provider sends it; kept, not checked here.
    public var issuer: String?

    /// Creates a callback from its values.
    public init(code: String, state: String, issuer: String? = nil) {
        self.code = code
        self.state = state
        self.issuer = issuer
    }

    /// Parses the URL the provider redirected the user's browser to.
    ///
    /// - Throws: ``OAuth2Error``: the redirect's own error code (``OAuth2Error/Code/accessDenied``,
    ///   ``OAuth2Error/Code/invalidRequest``, ``OAuth2Error/Code/unauthorizedClient``,
    ///   ``OAuth2Error/Code/unsupportedResponseType``, ``OAuth2Error/Code/invalidScope``,
    ///   ``OAuth2Error/Code/serverError``, ``OAuth2Error/Code/temporarilyUnavailable``;
    ///   ``OAuth2Error/Code/providerRejected`` for a code RFC 6749 does not define), or
    ///   ``OAuth2Error/Code/invalidCallback`` when there is no code or no state, or the
    ///   query is malformed.
    public init(url: URL) throws {
        try self.init(query: URLComponents(url: url, resolvingAgainstBaseURL: true)?.percentEncodedQuery ?? "")
    }

    /// Parses a callback query string (`code=...&state=...`, with or without `?`).
    ///
    /// - Throws: as ``init(url:)``.
    public init(query: String) throws {
        let parameters = try Self.parameters(query)
        if let error = parameters.first(named: "error") {
            let description = parameters.first(named: "error_description")
            let known = OAuth2Error.Code(protocolErrorCode: error)
            let what =
                error == "access_denied"
                ? "the user (or the provider) declined to authorize the app"
                : "the provider refused the authorization request"
            throw OAuth2Error(
                known ?? .providerRejected,
                message: "\(what) (error \(OAuth2Text.sanitized(error, maximumLength: 64) ?? "?") in the callback)",
                providerErrorCode: error, providerDescription: description,
                providerErrorURI: parameters.first(named: "error_uri"))
        }
        guard let code = parameters.first(named: "code"), !code.isEmpty else {
            throw OAuth2Error(.invalidCallback, message: "the callback carries neither a code nor an error")
        }
        guard let state = parameters.first(named: "state"), !state.isEmpty else {
            throw OAuth2Error(
                .invalidCallback, message: "the callback carries no state, so it cannot be tied to an authorization")
        }
        self.init(code: code, state: state, issuer: parameters.first(named: "iss"))
    }

    /// The `state` of a callback URL, also of one that carries an error: to find and
    /// discard the pending authorization after a denial.
    public static func state(in url: URL) -> String? {
        state(inQuery: URLComponents(url: url, resolvingAgainstBaseURL: true)?.percentEncodedQuery ?? "")
    }

    /// The `state` of a callback query, also of one that carries an error.
    public static func state(inQuery query: String) -> String? {
        (try? parameters(query))?.first(named: "state").flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Checks that this callback completes `request`: its `state` is the one sent
    /// (compared in constant time), and, when `issuer` is given, its `iss` is that issuer
    /// (RFC 9207).
    ///
    /// - Throws: ``OAuth2Error/Code/stateMismatch`` when the states differ,
    ///   ``OAuth2Error/Code/issuerMismatch`` when `iss` is missing or another.
    public func validate(matches request: OAuth2AuthorizationRequest, issuer: String? = nil) throws {
        guard OpenSSLCrypto.constantTimeEqual(state, request.state) else {
            throw OAuth2Error(
                .stateMismatch,
                message: "the callback's state is not the one of the authorization being completed; "
                    + "the callback may be forged or belong to another sign-in")
        }
        if let issuer, self.issuer != issuer {
            throw OAuth2Error(
                .issuerMismatch,
                message: self.issuer == nil
                    ? "the callback carries no iss, but \(issuer) is expected to send it (RFC 9207)"
                    : "the callback's iss is not \(issuer): the code may come from another authorization server")
        }
    }

    private static func parameters(_ query: String) throws(OAuth2Error) -> [OAuth1Parameter] {
        let trimmed = query.hasPrefix("?") ? String(query.dropFirst()) : query
        do {
            return try OAuth1PercentEncoding.parseForm(trimmed)
        } catch {
            throw OAuth2Error(.invalidCallback, message: "the callback query is not valid form encoding")
        }
    }

    /// The code is a one-time credential, so it is not shown.
    public var description: String { "OAuth2Callback(state: \(state), code: <redacted>)" }
    public var customMirror: Mirror {
        Mirror(self, children: ["code": "<redacted>", "state": state, "issuer": issuer as Any], displayStyle: .struct)
    }
}
