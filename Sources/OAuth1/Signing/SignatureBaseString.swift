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
        if params.isEmpty { return "" }
        // Encode everything into one byte buffer and sort ranges into it: two allocations
        // instead of one String per name and value (this is the signer's hot path).
        var storage: [UInt8] = []
        storage.reserveCapacity(params.reduce(16) { $0 + $1.name.utf8.count + $1.value.utf8.count } * 2)
        var spans: [(name: Range<Int>, value: Range<Int>)] = []
        spans.reserveCapacity(params.count)
        for parameter in params {
            let nameStart = storage.count
            OAuth1PercentEncoding.appendEncoded(parameter.name, to: &storage)
            let valueStart = storage.count
            OAuth1PercentEncoding.appendEncoded(parameter.value, to: &storage)
            spans.append((nameStart..<valueStart, valueStart..<storage.count))
        }
        return storage.withUnsafeBufferPointer { bytes in
            spans.sort { a, b in
                let byName = compare(bytes, a.name, b.name)
                return byName != 0 ? byName < 0 : compare(bytes, a.value, b.value) < 0
            }
            let length = spans.reduce(-1) { $0 + $1.name.count + $1.value.count + 2 }
            return String(unsafeUninitializedCapacity: length) { output in
                var position = 0
                for (index, span) in spans.enumerated() {
                    if index > 0 {
                        output[position] = UInt8(ascii: "&")
                        position += 1
                    }
                    for i in span.name {
                        output[position] = bytes[i]
                        position += 1
                    }
                    output[position] = UInt8(ascii: "=")
                    position += 1
                    for i in span.value {
                        output[position] = bytes[i]
                        position += 1
                    }
                }
                return position
            }
        }
    }

    /// Compares two byte ranges of `bytes`: negative, zero or positive like `memcmp`.
    private static func compare(_ bytes: UnsafeBufferPointer<UInt8>, _ a: Range<Int>, _ b: Range<Int>) -> Int {
        let common = min(a.count, b.count)
        if common > 0, let base = bytes.baseAddress {
            let result = memcmp(base + a.lowerBound, base + b.lowerBound, common)
            if result != 0 { return Int(result) }
        }
        return a.count - b.count
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
        // Read the URL's own ASCII text rather than URLComponents: Foundation's components
        // turn an IDNA host (xn--…) back into percent-encoded Unicode, but the HTTP client
        // sends, and the provider signs, the ASCII host.
        let text = url.absoluteString
        let utf8 = text.utf8
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")), colon > utf8.startIndex,
            utf8[colon...].starts(with: "://".utf8)
        else {
            throw OAuth1Error(
                .invalidRequest, message: "the request URL '\(redactedURL(url))' is not an absolute http(s) URL")
        }
        let scheme = text[..<colon].lowercased()
        let authorityStart = utf8.index(colon, offsetBy: 3)
        let authorityEnd =
            utf8[authorityStart...].firstIndex(where: {
                $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
            }) ?? utf8.endIndex
        let pathEnd =
            utf8[authorityEnd...].firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") })
            ?? utf8.endIndex
        var authority = text[authorityStart..<authorityEnd]
        if let at = authority.utf8.lastIndex(of: UInt8(ascii: "@")) {
            authority = authority[authority.utf8.index(after: at)...]
        }

        let host: Substring
        var portText: Substring = ""
        if authority.utf8.first == UInt8(ascii: "[") {
            guard let close = authority.utf8.firstIndex(of: UInt8(ascii: "]")) else {
                throw OAuth1Error(
                    .invalidRequest, message: "the request URL '\(redactedURL(url))' has a malformed IPv6 host")
            }
            host = authority[...close]
            let rest = authority[authority.utf8.index(after: close)...]
            if !rest.isEmpty {
                guard rest.utf8.first == UInt8(ascii: ":") else {
                    throw OAuth1Error(
                        .invalidRequest, message: "the request URL '\(redactedURL(url))' has a malformed host")
                }
                portText = rest.dropFirst()
            }
        } else if let portColon = authority.utf8.lastIndex(of: UInt8(ascii: ":")) {
            host = authority[..<portColon]
            portText = authority[authority.utf8.index(after: portColon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else {
            throw OAuth1Error(.invalidRequest, message: "the request URL '\(redactedURL(url))' has no host")
        }
        var result = scheme
        result.reserveCapacity(text.utf8.count)
        result += "://"
        result +=
            host.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
            ? host.lowercased() : String(host)
        if !portText.isEmpty {
            guard let port = Int(portText), (0...65535).contains(port) else {
                throw OAuth1Error(.invalidRequest, message: "the request URL '\(redactedURL(url))' has an invalid port")
            }
            let isDefault = (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
            if !isDefault { result += ":\(port)" }
        }
        let path = text[authorityEnd..<pathEnd]
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
