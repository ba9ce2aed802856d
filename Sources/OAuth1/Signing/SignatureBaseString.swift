import Foundation

/// The signature base string of RFC 5849 section 3.4.1, in parts.
///
/// Each part is computed by the same code the signer uses, so a base string rebuilt here
/// (to debug a rejection, or at a provider) is the one the signer signed.
public enum SignatureBaseString {
    /// The normalized parameter string (section 3.4.1.3.2): every name and value
    /// percent-encoded, sorted by encoded name then encoded value (byte order), joined as
    /// `name=value` with `&`. Duplicates are kept.
    ///
    /// - Parameter params: Decoded parameters: request parameters plus the `oauth_*`
    ///   protocol parameters, without `oauth_signature` and without the header's `realm`.
    public static func normalizedParameters(_ params: [OAuth1Parameter]) -> String {
        if params.isEmpty { return "" }
        var base = SignatureBase(normalizing: params)
        return base.normalizedParameters()
    }

    /// The base string URI (section 3.4.1.2): `scheme://host[:port]/path`.
    ///
    /// Scheme and host are lowercased; port 80 for `http` and 443 for `https` are dropped,
    /// any other explicit port is kept; an empty path becomes `/`; user info, query and
    /// fragment are dropped; an IPv6 host is kept in brackets. The path is used exactly
    /// as it appears (percent-encoded) in the URL. The URL's own text is read, so an
    /// internationalized host signs in its ASCII (punycode) form, as it is sent.
    ///
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) when the URL has no
    ///   scheme or no host, or a port that is not a number from 0 to 65535.
    public static func baseStringURI(_ url: URL) throws -> String {
        let base = try SignatureBase(uriOf: url)
        return base.string(base.uri)
    }

    /// The full base string: `METHOD&encode(baseStringURI)&encode(normalizedParameters)`.
    ///
    /// - Parameters:
    ///   - method: The HTTP method; uppercased.
    ///   - url: The request URL; only scheme, host, port and path are used here, so pass
    ///     the query's parameters in `parameters` (see ``requestParameters(of:)``).
    ///   - parameters: All parameters to sign: request parameters plus protocol parameters.
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) for a URL without
    ///   scheme or host.
    public static func make(method: String, url: URL, parameters: [OAuth1Parameter]) throws -> String {
        let base = try SignatureBase(method: method, url: url, parameters: parameters)
        return base.string(base.baseString)
    }

    /// The request's own parameters (section 3.4.1.3.1): the URL query, then the body when
    /// its `Content-Type` is `application/x-www-form-urlencoded`. Both are decoded with the
    /// form rules (`+` is a space).
    ///
    /// `oauth_signature` is left out wherever it appears. A parameter named `realm` in the
    /// query or body is an ordinary parameter and is kept: the RFC excludes `realm` only
    /// from the `Authorization` header, which this function does not read. Callers add the
    /// `oauth_*` protocol parameters themselves.
    ///
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) for malformed
    ///   percent-encoding or a form body that is not UTF-8.
    public static func requestParameters(of request: OAuth1HTTPRequest) throws -> [OAuth1Parameter] {
        var parameters = try OAuth1PercentEncoding.parseForm(query(of: request.url))
        if request.hasFormBody, let text = try formBodyText(of: request) {
            parameters += try OAuth1PercentEncoding.parseForm(text)
        }
        parameters.removeAll { $0.name == "oauth_signature" }
        return parameters
    }

    /// The URL's query as it appears in its text (without `?` and fragment), or `""`:
    /// the range ``RequestURLParts`` finds, the path ending at the first `?` or `#`.
    static func query(of url: URL) -> String {
        let text = url.absoluteString
        guard let mark = text.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }),
            text.utf8[mark] == UInt8(ascii: "?")
        else { return "" }
        let start = text.utf8.index(after: mark)
        let end = text.utf8[start...].firstIndex(of: UInt8(ascii: "#")) ?? text.utf8.endIndex
        return String(text[start..<end])
    }

    /// A non-empty body as UTF-8 text, a leading byte-order mark dropped, as
    /// ``SignatureBase`` reads it; `nil` for none.
    ///
    /// - Throws: ``OAuth1Error`` when the body is not UTF-8.
    static func formBodyText(of request: OAuth1HTTPRequest) throws -> String? {
        guard var body = request.body, !body.isEmpty else { return nil }
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else { throw SignatureBase.notUTF8Body }
        return text
    }

    /// The URL without user info, query and fragment, for error messages.
    static func redactedURL(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return "<unparsable URL>" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "<unparsable URL>"
    }
}
