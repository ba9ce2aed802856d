import Foundation

/// The signature base string of RFC 5849 section 3.4.1, in parts.
public enum SignatureBaseString {
    /// The normalized parameter string (section 3.4.1.3.2): every name and value
    /// percent-encoded, sorted by encoded name then encoded value (byte order), joined as
    /// `name=value` with `&`. Duplicates are kept.
    ///
    /// - Parameter params: Decoded parameters: request parameters plus the `oauth_*`
    ///   protocol parameters, without `oauth_signature` and without the header's `realm`.
    public static func normalizedParameters(_ params: [OAuth1Parameter]) -> String {
        var encoded = params.map {
            (name: OAuth1PercentEncoding.encode($0.name), value: OAuth1PercentEncoding.encode($0.value))
        }
        encoded.sort { a, b in
            if a.name != b.name { return a.name.utf8.lexicographicallyPrecedes(b.name.utf8) }
            return a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
        }
        var result = ""
        result.reserveCapacity(encoded.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 })
        for (index, pair) in encoded.enumerated() {
            if index > 0 { result += "&" }
            result += pair.name
            result += "="
            result += pair.value
        }
        return result
    }

    /// The base string URI (section 3.4.1.2): `scheme://host[:port]/path`.
    ///
    /// Scheme and host are lowercased; port 80 for `http` and 443 for `https` are dropped,
    /// any other explicit port is kept; an empty path becomes `/`; user info, query and
    /// fragment are dropped; an IPv6 host is kept in brackets. The path is used exactly
    /// as it appears (percent-encoded) in the URL.
    ///
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) when the URL has no
    ///   scheme or no host.
    public static func baseStringURI(_ url: URL) throws -> String {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: true) else {
            throw OAuth1Error(.invalidRequest, message: "cannot parse the request URL '\(redactedURL(url))'")
        }
        guard let scheme = components.scheme?.lowercased(), !scheme.isEmpty else {
            throw OAuth1Error(.invalidRequest, message: "the request URL '\(redactedURL(url))' has no scheme")
        }
        guard var host = components.percentEncodedHost?.lowercased(), !host.isEmpty else {
            throw OAuth1Error(.invalidRequest, message: "the request URL '\(redactedURL(url))' has no host")
        }
        if host.contains(":") && !host.hasPrefix("[") {
            host = "[" + host + "]"
        }
        var result = scheme + "://" + host
        if let port = components.port {
            let isDefault = (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
            if !isDefault { result += ":\(port)" }
        }
        let path = components.percentEncodedPath
        result += path.isEmpty ? "/" : path
        return result
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
        OAuth1PercentEncoding.encode(method.uppercased()) + "&"
            + OAuth1PercentEncoding.encode(try baseStringURI(url)) + "&"
            + OAuth1PercentEncoding.encode(normalizedParameters(parameters))
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
        var parameters: [OAuth1Parameter] = []
        if let query = URLComponents(url: request.url, resolvingAgainstBaseURL: true)?.percentEncodedQuery {
            parameters += try OAuth1PercentEncoding.parseForm(query)
        }
        if let body = request.body, !body.isEmpty, request.hasFormBody {
            guard let text = String(data: body, encoding: .utf8) else {
                throw OAuth1Error(.invalidRequest, message: "the form-encoded request body is not valid UTF-8")
            }
            parameters += try OAuth1PercentEncoding.parseForm(text)
        }
        parameters.removeAll { $0.name == "oauth_signature" }
        return parameters
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
