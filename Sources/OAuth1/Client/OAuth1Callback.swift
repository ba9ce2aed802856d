import Foundation

/// The parameters the provider sends back to the app's callback URL after authorization.
///
/// ```swift
/// let callback = try OAuth1Callback(url: request.url)   // throws .userDenied on `denied=`
/// try callback.validate(matches: temporaryCredentials)  // throws .tokenMismatch
/// ```
public struct OAuth1Callback: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// `oauth_token`: the request token the user authorized.
    public var token: String
    /// `oauth_verifier`: proof of the authorization, exchanged for the access token.
    public var verifier: String

    /// Creates a callback from its two values (e.g. an out-of-band PIN typed by the user).
    public init(token: String, verifier: String) {
        self.token = token
        self.verifier = verifier
    }

    /// Parses the callback URL the provider redirected the user to.
    ///
    /// - Throws: ``OAuth1Error``: ``OAuth1Error/Code/userDenied`` when the query carries
    ///   `denied=<token>` (see ``deniedToken(in:)`` to clean up), ``OAuth1Error/Code/missingVerifier``
    ///   when `oauth_verifier` is absent or empty, ``OAuth1Error/Code/invalidRequest`` when
    ///   `oauth_token` is absent or the query is malformed.
    public init(url: URL) throws {
        let query = URLComponents(url: url, resolvingAgainstBaseURL: true)?.percentEncodedQuery ?? ""
        try self.init(query: query)
    }

    /// Parses a callback query string (`oauth_token=...&oauth_verifier=...`, without `?`).
    ///
    /// - Throws: as ``init(url:)``.
    public init(query: String) throws {
        let trimmed = query.hasPrefix("?") ? String(query.dropFirst()) : query
        let parameters: [OAuth1Parameter]
        do {
            parameters = try OAuth1PercentEncoding.parseForm(trimmed)
        } catch {
            throw OAuth1Error(.invalidRequest, message: "the callback query is not valid form encoding")
        }
        if let denied = parameters.first(named: "denied") {
            throw OAuth1Error(
                .userDenied,
                message: "the user declined to authorize the app (denied request token \(denied))")
        }
        guard let token = parameters.first(named: "oauth_token"), !token.isEmpty else {
            throw OAuth1Error(.invalidRequest, message: "the callback carries no oauth_token")
        }
        guard let verifier = parameters.first(named: "oauth_verifier"), !verifier.isEmpty else {
            throw OAuth1Error(.missingVerifier, message: "the callback carries no oauth_verifier")
        }
        self.init(token: token, verifier: verifier)
    }

    /// The request token named by `denied=` in a callback query, if the user declined.
    public static func deniedToken(inQuery query: String) -> String? {
        let trimmed = query.hasPrefix("?") ? String(query.dropFirst()) : query
        return (try? OAuth1PercentEncoding.parseForm(trimmed))?.first(named: "denied")
    }

    /// The request token named by `denied=` in a callback URL, if the user declined.
    public static func deniedToken(in url: URL) -> String? {
        deniedToken(inQuery: URLComponents(url: url, resolvingAgainstBaseURL: true)?.percentEncodedQuery ?? "")
    }

    /// Checks that this callback completes `temporary` (compared in constant time).
    ///
    /// - Throws: ``OAuth1Error/Code/tokenMismatch`` when the callback names another token.
    public func validate(matches temporary: TemporaryCredentials) throws {
        guard Self.constantTimeEqual(token, temporary.token) else {
            throw OAuth1Error(.tokenMismatch, message: "the callback's oauth_token is not the request token being completed")
        }
    }

    /// The verifier is a one-time credential, so it is not shown.
    public var description: String { "OAuth1Callback(token: \(token), verifier: <redacted>)" }
    public var customMirror: Mirror {
        Mirror(self, children: ["token": token, "verifier": "<redacted>"], displayStyle: .struct)
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
