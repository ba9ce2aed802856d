import Foundation
import OAuth1
import TokenStoreKit

/// The parameters of a callback request, as the flow reads them.
struct AuthorizationCallback: Sendable {
    /// `oauth_token`: the request token being completed.
    var oauthToken: String?
    /// `oauth_verifier`.
    var verifier: String?
    /// Whether the callback says the user declined (`denied=...`).
    var isDenied: Bool
    /// The request token named by `denied`, if any.
    var deniedToken: String?

    /// Parses a callback given as a full URL, a path with a query, a `?query`, or a bare
    /// query string.
    ///
    /// - Throws: ``AuthorizationFlowError`` (``AuthorizationFlowError/Code/invalidCallback``)
    ///   for malformed percent-encoding.
    init(_ callback: String, provider: String) throws {
        // A URL (absolute, or a path like `/callback?...`) carries its query after the
        // first `?`; anything else is the query itself, where a later `?` is data.
        let query: Substring
        if callback.contains("://") || callback.hasPrefix("/") || callback.hasPrefix("?") {
            if let mark = callback.firstIndex(of: "?") {
                query = callback[callback.index(after: mark)...]
            } else {
                query = ""
            }
        } else {
            query = Substring(callback)
        }
        let withoutFragment = query.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parameters: [OAuth1Parameter]
        do {
            parameters = try OAuth1PercentEncoding.parseForm(String(withoutFragment))
        } catch {
            throw AuthorizationFlowError(
                .invalidCallback, provider: provider,
                message: "the callback query has malformed percent-encoding")
        }
        // An empty value counts as absent: `oauth_token=` names no token.
        func value(_ name: String) -> String? {
            guard let value = parameters.first(named: name), !value.isEmpty else { return nil }
            return value
        }
        self.oauthToken = value("oauth_token")
        self.verifier = value("oauth_verifier")
        self.isDenied = parameters.contains { $0.name == "denied" }
        self.deniedToken = value("denied")
    }
}
