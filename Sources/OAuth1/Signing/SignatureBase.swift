import Foundation

/// The signature base string of RFC 5849 section 3.4.1, built in one byte buffer: the one
/// place where a request is canonicalised, for signing, for ``OAuth1Signer/SignatureDetails``,
/// for ``SignatureBaseString`` and for a provider's ``OAuth1ReceivedRequest``.
///
/// Parameters are percent-encoded into the buffer as they are collected (query and form
/// pairs decoded and re-encoded byte by byte, never as `String`s) and sorted as encoded
/// byte ranges; the base string encodes their join as it writes it, and the normalized
/// parameter string is written only for those who show it.
struct SignatureBase: ~Copyable {
    /// The bytes: encoded parameters, then the parts below, then whatever the caller adds
    /// (the signer writes its signing key, signature and header here too).
    var writer: OAuth1ByteWriter
    /// The base string URI (section 3.4.1.2).
    private(set) var uri: Range<Int> = 0..<0
    /// The whole base string.
    private(set) var baseString: Range<Int> = 0..<0

    /// One parameter, percent-encoded, as offsets into the writer.
    private struct Span {
        var nameStart: Int
        var valueStart: Int
        var valueEnd: Int
    }
    private var spans: [Span] = []

    private init(capacity: Int) {
        writer = OAuth1ByteWriter(capacity: capacity)
    }

    /// The base string of `request` signed with `protocolParameters`: its query and, for a
    /// form body, its body (section 3.4.1.3.1), `oauth_signature` left out of both.
    ///
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) for a URL that is not
    ///   an absolute http(s) URL with a host, malformed percent-encoding, or a form body or
    ///   decoded text that is not UTF-8.
    init(request: OAuth1HTTPRequest, hasFormBody: Bool, protocolParameters: [OAuth1Parameter]) throws(OAuth1Error) {
        let urlText = request.url.absoluteString
        let body = hasFormBody ? request.body : nil
        self.init(
            capacity: Self.capacity(
                rawBytes: urlText.utf8.count + (body?.count ?? 0) + request.method.utf8.count
                    + Self.byteCount(of: protocolParameters)))
        // The URL's text and the body are copied in first; everything after is offsets.
        let url = writer.count..<writer.append(urlText)
        let parts = try RequestURLParts(parsing: writer.bytes(url), of: request.url)
        let form = try appendFormBody(body)
        let query = parts.query ?? 0..<0
        spans.reserveCapacity(pairBound(query) + pairBound(form) + protocolParameters.count)
        try appendForm(query)
        try appendForm(form)
        for parameter in protocolParameters { append(parameter) }
        finish(method: request.method, parts: parts)
    }

    /// The base string of `parameters` (decoded, already collected) for `method` and the
    /// scheme, host, port and path of `url`; the URL's query is not read.
    ///
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) for a URL that is not
    ///   an absolute http(s) URL with a host.
    init(method: String, url: URL, parameters: [OAuth1Parameter]) throws(OAuth1Error) {
        let urlText = url.absoluteString
        self.init(
            capacity: Self.capacity(rawBytes: urlText.utf8.count + method.utf8.count + Self.byteCount(of: parameters)))
        let urlBytes = writer.count..<writer.append(urlText)
        let parts = try RequestURLParts(parsing: writer.bytes(urlBytes), of: url)
        spans.reserveCapacity(parameters.count)
        for parameter in parameters { append(parameter) }
        finish(method: method, parts: parts)
    }

    /// `parameters` alone, encoded and sorted, for ``normalizedParameters()``.
    init(normalizing parameters: [OAuth1Parameter]) {
        self.init(capacity: Self.capacity(rawBytes: Self.byteCount(of: parameters)))
        spans.reserveCapacity(parameters.count)
        for parameter in parameters { append(parameter) }
        sortParameters()
    }

    /// The base string URI of `url` alone.
    init(uriOf url: URL) throws(OAuth1Error) {
        let urlText = url.absoluteString
        self.init(capacity: 2 * urlText.utf8.count + 16)
        let urlBytes = writer.count..<writer.append(urlText)
        let parts = try RequestURLParts(parsing: writer.bytes(urlBytes), of: url)
        uri = writeURI(parts)
    }

    /// The text of `range`, one of the ranges above or one the caller wrote.
    func string(_ range: Range<Int>) -> String { writer.string(range) }

    /// The normalized parameter string (section 3.4.1.3.2): the sorted pairs as
    /// `name=value` joined by `&`, the text the base string encodes.
    mutating func normalizedParameters() -> String {
        writer.string(writeNormalizedParameters())
    }

    // MARK: - Building

    /// Room for the usual request in one allocation: every byte escaped (3x) and escaped
    /// again in the base string (3x for the `%`), plus the signer's key, signature and header.
    private static func capacity(rawBytes: Int) -> Int { 10 * rawBytes + 512 }

    private static func byteCount(of parameters: [OAuth1Parameter]) -> Int {
        parameters.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
    }

    /// At most one pair per `&`-separated segment of the bytes in `range`.
    private func pairBound(_ range: Range<Int>) -> Int {
        if range.isEmpty { return 0 }
        var count = 1
        for byte in writer.bytes(range) where byte == UInt8(ascii: "&") { count += 1 }
        return count
    }

    /// Sorts, then writes the base string URI and the base string.
    private mutating func finish(method: String, parts: RequestURLParts) {
        sortParameters()
        uri = writeURI(parts)
        baseString = writeBaseString(method: method)
    }

    /// Appends one decoded parameter, encoded (section 3.4.1.3.2 step 1).
    private mutating func append(_ parameter: OAuth1Parameter) {
        let nameStart = writer.count
        writer.appendEncoded(parameter.name)
        let valueStart = writer.count
        writer.appendEncoded(parameter.value)
        spans.append(Span(nameStart: nameStart, valueStart: valueStart, valueEnd: writer.count))
    }

    /// Appends the pairs of the query or form body at `range`: decoded with the form rules
    /// (section 3.4.1.3.1) and encoded again, byte by byte; `oauth_signature` is left out.
    private mutating func appendForm(_ range: Range<Int>) throws(OAuth1Error) {
        // A decoded byte takes at least one input byte and encodes to at most three: with
        // this room reserved nothing below grows (moves) the buffer `text` points into.
        writer.reserve(3 * range.count)
        let text = writer.bytes(range)
        try OAuth1PercentEncoding.forEachPair(in: text) { (name, value) throws(OAuth1Error) in
            let nameStart = writer.count
            try OAuth1PercentEncoding.decodeComponent(UnsafeBufferPointer(rebasing: text[name]), plusIsSpace: true) {
                writer.putEncoded($0)
            }
            let valueStart = writer.count
            try OAuth1PercentEncoding.decodeComponent(UnsafeBufferPointer(rebasing: text[value]), plusIsSpace: true) {
                writer.putEncoded($0)
            }
            if writer.bytes(nameStart..<valueStart).elementsEqual("oauth_signature".utf8) {
                writer.truncate(to: nameStart)
            } else {
                spans.append(Span(nameStart: nameStart, valueStart: valueStart, valueEnd: writer.count))
            }
        }
    }

    /// Copies a form body in and returns where: checked to be UTF-8, a leading byte-order
    /// mark dropped (it marks the encoding; it is not part of the first name).
    private mutating func appendFormBody(_ body: Data?) throws(OAuth1Error) -> Range<Int> {
        guard let body, !body.isEmpty else { return 0..<0 }
        var start = writer.count
        body.withUnsafeBytes { writer.append($0.bindMemory(to: UInt8.self)) }
        if writer.bytes(start..<writer.count).starts(with: [0xEF, 0xBB, 0xBF]) { start += 3 }
        var validator = UTF8Validator()
        for byte in writer.bytes(start..<writer.count) where !validator.feed(byte) { throw Self.notUTF8Body }
        guard validator.isComplete else { throw Self.notUTF8Body }
        return start..<writer.count
    }

    static let notUTF8Body = OAuth1Error(.invalidRequest, message: "the form-encoded request body is not valid UTF-8")

    /// Sorts by encoded name, then encoded value, in byte order (section 3.4.1.3.2 step 2).
    private mutating func sortParameters() {
        let base = writer.base
        func less(_ a: Span, _ b: Span) -> Bool {
            let byName = Self.compare(base, a.nameStart..<a.valueStart, b.nameStart..<b.valueStart)
            return byName != 0
                ? byName < 0 : Self.compare(base, a.valueStart..<a.valueEnd, b.valueStart..<b.valueEnd) < 0
        }
        if spans.count > 32 {
            spans.sort(by: less)
            return
        }
        // Insertion sort: no temporary buffer, and the fastest for a request's few pairs.
        spans.withUnsafeMutableBufferPointer { spans in
            var index = 1
            while index < spans.count {
                let item = spans[index]
                var hole = index
                while hole > 0, less(item, spans[hole - 1]) {
                    spans[hole] = spans[hole - 1]
                    hole -= 1
                }
                spans[hole] = item
                index += 1
            }
        }
    }

    /// Compares two byte ranges like `memcmp`, the shorter first when one is a prefix.
    @inline(__always)
    private static func compare(_ base: UnsafeMutablePointer<UInt8>, _ a: Range<Int>, _ b: Range<Int>) -> Int {
        let common = min(a.count, b.count)
        if common > 0 {
            let result = memcmp(base + a.lowerBound, base + b.lowerBound, common)
            if result != 0 { return Int(result) }
        }
        return a.count - b.count
    }

    /// Writes `name=value` pairs in sorted order joined by `&` (section 3.4.1.3.2 steps 3-4).
    private mutating func writeNormalizedParameters() -> Range<Int> {
        let start = writer.count
        for (position, span) in spans.enumerated() {
            writer.reserve(span.valueEnd - span.nameStart + 2)
            if position > 0 { writer.put(UInt8(ascii: "&")) }
            writer.append(offsets: span.nameStart..<span.valueStart)
            writer.put(UInt8(ascii: "="))
            writer.append(offsets: span.valueStart..<span.valueEnd)
        }
        return start..<writer.count
    }

    /// Writes `scheme://host[:port]/path` (section 3.4.1.2): scheme and host lowercased,
    /// the default port of the scheme dropped, an empty path as `/`, the path otherwise
    /// exactly as the URL has it.
    private mutating func writeURI(_ parts: RequestURLParts) -> Range<Int> {
        let start = writer.count
        appendLowercased(offsets: parts.scheme)
        writer.append(ascii: "://")
        appendLowercased(offsets: parts.host)
        if let port = parts.port {
            writer.append(ascii: ":")
            writer.append(String(port))
        }
        if parts.path.isEmpty {
            writer.append(ascii: "/")
        } else {
            writer.append(offsets: parts.path)
        }
        return start..<writer.count
    }

    /// Writes `encode(METHOD)&encode(uri)&encode(normalizedParameters)` (section 3.4.1.1),
    /// encoding the pairs' join as it goes (the `&` and `=` joining them as `%26` and `%3D`)
    /// rather than writing the normalized string out first.
    private mutating func writeBaseString(method: String) -> Range<Int> {
        let start = writer.count
        var method = method
        // HTTP methods are ASCII tokens; anything else is uppercased as Unicode text.
        if method.utf8.contains(where: { $0 >= 0x80 }) { method = method.uppercased() }
        method.withUTF8 { bytes in
            writer.reserve(3 * bytes.count)
            for byte in bytes { writer.putEncoded(Self.asciiUppercase(byte)) }
        }
        writer.append(ascii: "&")
        writer.appendEncoded(offsets: uri)
        writer.append(ascii: "&")
        for (position, span) in spans.enumerated() {
            if position > 0 { writer.append(ascii: "%26") }
            writer.appendEncoded(offsets: span.nameStart..<span.valueStart)
            writer.append(ascii: "%3D")
            writer.appendEncoded(offsets: span.valueStart..<span.valueEnd)
        }
        return start..<writer.count
    }

    /// Appends the bytes at `range` lowercased: ASCII byte by byte, anything else as
    /// Unicode text.
    private mutating func appendLowercased(offsets range: Range<Int>) {
        if writer.bytes(range).contains(where: { $0 >= 0x80 }) {
            writer.append(writer.string(range).lowercased())
            return
        }
        writer.reserve(range.count)
        for index in range { writer.put(OAuth1HTTPHeaders.asciiLowercase(writer.base[index])) }
    }

    @inline(__always)
    private static func asciiUppercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 0x20 : byte
    }
}

/// Where the parts of the base string URI (RFC 5849 section 3.4.1.2) and the query sit in
/// a URL's text.
///
/// Read from the URL's own ASCII text rather than `URLComponents`: Foundation's components
/// turn an IDNA host (`xn--…`) back into percent-encoded Unicode, but the HTTP client sends,
/// and the provider signs, the ASCII host.
struct RequestURLParts {
    var scheme: Range<Int>
    var host: Range<Int>
    /// The explicit port when it is not the scheme's default.
    var port: Int?
    var path: Range<Int>
    var query: Range<Int>?

    /// Locates the parts of `text`, the `absoluteString` of `url` (named, redacted, in errors).
    ///
    /// User info and fragment are skipped; an IPv6 host keeps its brackets.
    ///
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) without a scheme and
    ///   `://`, without a host, for a malformed IPv6 host, or a port that is not 0-65535.
    init(parsing text: UnsafeBufferPointer<UInt8>, of url: URL) throws(OAuth1Error) {
        let count = text.count
        guard let colon = text.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon + 2 < count,
            text[colon + 1] == UInt8(ascii: "/"), text[colon + 2] == UInt8(ascii: "/")
        else { throw Self.invalid(url, "is not an absolute http(s) URL") }
        let authorityStart = colon + 3
        var authorityEnd = authorityStart
        while authorityEnd < count, !Self.endsAuthority(text[authorityEnd]) { authorityEnd += 1 }
        var pathEnd = authorityEnd
        while pathEnd < count, text[pathEnd] != UInt8(ascii: "?"), text[pathEnd] != UInt8(ascii: "#") { pathEnd += 1 }
        if pathEnd < count, text[pathEnd] == UInt8(ascii: "?") {
            var queryEnd = pathEnd + 1
            while queryEnd < count, text[queryEnd] != UInt8(ascii: "#") { queryEnd += 1 }
            query = pathEnd + 1..<queryEnd
        }

        var hostStart = authorityStart
        if let at = text[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")) { hostStart = at + 1 }
        var hostEnd = authorityEnd
        var portDigits = authorityEnd..<authorityEnd
        if hostStart < authorityEnd, text[hostStart] == UInt8(ascii: "[") {
            guard let close = text[hostStart..<authorityEnd].firstIndex(of: UInt8(ascii: "]")) else {
                throw Self.invalid(url, "has a malformed IPv6 host")
            }
            hostEnd = close + 1
            if hostEnd < authorityEnd {
                guard text[hostEnd] == UInt8(ascii: ":") else { throw Self.invalid(url, "has a malformed host") }
                portDigits = hostEnd + 1..<authorityEnd
            }
        } else if let portColon = text[hostStart..<authorityEnd].lastIndex(of: UInt8(ascii: ":")) {
            hostEnd = portColon
            portDigits = portColon + 1..<authorityEnd
        }
        guard hostStart < hostEnd else { throw Self.invalid(url, "has no host") }

        // An empty port is no port; otherwise digits only, 0-65535 (leading zeros allowed).
        var explicitPort: Int?
        if !portDigits.isEmpty {
            var value = 0
            for index in portDigits {
                let byte = text[index]
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), value <= 65535 else {
                    throw Self.invalid(url, "has an invalid port")
                }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            guard value <= 65535 else { throw Self.invalid(url, "has an invalid port") }
            explicitPort = value
        }
        scheme = 0..<colon
        host = hostStart..<hostEnd
        path = authorityEnd..<pathEnd
        if let value = explicitPort, !Self.isDefault(port: value, scheme: UnsafeBufferPointer(rebasing: text[0..<colon])) {
            self.port = value
        }
    }

    @inline(__always)
    private static func endsAuthority(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#")
    }

    /// Port 80 for `http`, 443 for `https` (the scheme in any case).
    private static func isDefault(port: Int, scheme: UnsafeBufferPointer<UInt8>) -> Bool {
        let lowered = scheme.lazy.map(OAuth1HTTPHeaders.asciiLowercase)
        return (port == 80 && lowered.elementsEqual("http".utf8)) || (port == 443 && lowered.elementsEqual("https".utf8))
    }

    private static func invalid(_ url: URL, _ problem: String) -> OAuth1Error {
        OAuth1Error(.invalidRequest, message: "the request URL '\(SignatureBaseString.redactedURL(url))' \(problem)")
    }
}
