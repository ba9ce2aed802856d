import CTokenStoreOpenSSL
import Foundation

/// The signer's hot path: the `Authorization` header that
/// ``OAuth1Signer/signatureDetails(for:extraProtocolParameters:)`` would produce, computed
/// in one byte buffer without building the details.
///
/// Query and form pairs are decoded and re-encoded byte by byte straight into the buffer
/// (never as `String`s), sorted as encoded byte ranges (RFC 5849 section 3.4.1.3.2), and
/// the base string's second encoding is done while it is written. The base string URI is
/// read from the URL's text once. Anything unusual (malformed input, a body with a BOM, a
/// non-ASCII method, scheme or host, a signed port such as `+80`) returns `nil` before the
/// clock or nonce is read, and the caller takes the detailed path, which owns every error
/// message. Both paths must stay byte-identical; `LeanSigningTests` cross-checks them.
extension OAuth1Signer {
    /// One request or protocol parameter, encoded, as offsets into the writer.
    struct EncodedSpan {
        var nameStart: Int
        var valueStart: Int
        var valueEnd: Int
    }

    /// Where the parts of the base string URI (section 3.4.1.2) sit in the URL's text.
    struct URIParts {
        var scheme: Range<Int>
        var host: Range<Int>
        /// The explicit, non-default port, if any.
        var port: Int?
        var path: Range<Int>
        var query: Range<Int>?
    }

    /// The `Authorization` header value for `request`, or `nil` when the detailed path must
    /// decide (see the extension's comment).
    func leanAuthorizationHeader(
        for request: OAuth1HTTPRequest, extraProtocolParameters: [OAuth1Parameter], hasFormBody: Bool
    ) throws -> String? {
        var realmText = realm
        if let realm, realm.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return nil }
        var urlText = request.url.absoluteString
        var methodText = request.method
        let formBody = hasFormBody ? request.body.flatMap { $0.isEmpty ? nil : $0 } : nil
        return try urlText.withUTF8 { url -> String? in
            guard let uri = Self.parseURI(url) else { return nil }
            return try methodText.withUTF8 { method -> String? in
                guard !method.contains(where: { $0 >= 0x80 }) else { return nil }
                return try Self.withBytes(of: formBody) { body -> String? in
                    if !body.isEmpty {
                        guard !Self.hasByteOrderMark(body), Self.isValidUTF8(body) else { return nil }
                    }
                    return try realmText.withOptionalUTF8 { realm in
                        try leanHeader(
                            request: request, url: url, uri: uri, method: method, body: body, realm: realm,
                            extraProtocolParameters: extraProtocolParameters, hasFormBody: hasFormBody)
                    }
                }
            }
        }
    }

    private func leanHeader(
        request: OAuth1HTTPRequest, url: UnsafeBufferPointer<UInt8>, uri: URIParts,
        method: UnsafeBufferPointer<UInt8>, body: UnsafeBufferPointer<UInt8>, realm: UnsafeBufferPointer<UInt8>?,
        extraProtocolParameters: [OAuth1Parameter], hasFormBody: Bool
    ) throws -> String? {
        let query =
            uri.query.map { UnsafeBufferPointer(rebasing: url[$0]) } ?? UnsafeBufferPointer(start: nil, count: 0)
        // Upper bound of the parameter count: one per '&'-separated segment, plus protocol ones.
        let spanBound =
            Self.segmentBound(query) + Self.segmentBound(body) + 8 + extraProtocolParameters.count
        let rawLength =
            url.count + body.count + method.count + (realm?.count ?? 0) + client.key.utf8.count
            + client.secret.utf8.count + (token.map { $0.token.utf8.count + $0.secret.utf8.count } ?? 0)
        // Room for the worst case of the common request: every byte escaped, then escaped
        // again in the base string; a larger one grows the buffer once or twice.
        var writer = OAuth1ByteWriter(capacity: 10 * rawLength + 512)
        defer { writer.release() }
        return try withUnsafeTemporaryAllocation(of: EncodedSpan.self, capacity: spanBound) { spans in
            var spanCount = 0
            guard Self.appendForm(query, to: &writer, spans: spans, count: &spanCount),
                Self.appendForm(body, to: &writer, spans: spans, count: &spanCount)
            else { return nil }

            // From here on the detailed path would fail or succeed exactly as this one does.
            let protocolParameters = try protocolParameters(
                for: request, extraProtocolParameters: extraProtocolParameters, hasFormBody: hasFormBody)
            for parameter in protocolParameters {
                let nameStart = writer.count
                writer.appendEncoded(parameter.name)
                let valueStart = writer.count
                writer.appendEncoded(parameter.value)
                spans[spanCount] = EncodedSpan(nameStart: nameStart, valueStart: valueStart, valueEnd: writer.count)
                spanCount += 1
            }
            let sorted = UnsafeMutableBufferPointer(rebasing: spans[..<spanCount])
            Self.sort(sorted, in: writer)

            let signature: Range<Int>
            var signatureText = ""
            switch self.method.builtin {
            case .plaintext:
                // The signature is the signing key; the base string is not needed (its only
                // failure, the URL, was ruled out above).
                signature = Self.appendSigningKey(
                    clientSecret: client.secret, tokenSecret: token?.secret ?? "", to: &writer)
            case .hmac(let digest):
                let baseStart = writer.count
                writeBaseString(method: method, url: url, uri: uri, spans: sorted, to: &writer)
                signature = try Self.appendHMAC(
                    digest, baseString: baseStart..<writer.count, clientSecret: client.secret,
                    tokenSecret: token?.secret ?? "", to: &writer)
            case nil:
                let baseStart = writer.count
                writeBaseString(method: method, url: url, uri: uri, spans: sorted, to: &writer)
                signatureText = try self.method.sign(
                    baseString: String(decoding: writer.bytes(baseStart..<writer.count), as: UTF8.self),
                    clientSecret: client.secret, tokenSecret: token?.secret ?? "")
                signature = writer.count..<writer.count
            }

            let headerStart = writer.count
            writer.append(ascii: "OAuth ")
            var first = true
            if let realm {
                writer.append(ascii: "realm=\"")
                writer.reserve(2 * realm.count + 1)
                for byte in realm {
                    if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { writer.put(UInt8(ascii: "\\")) }
                    writer.put(byte)
                }
                writer.put(UInt8(ascii: "\""))
                first = false
            }
            for parameter in protocolParameters {
                if !first { writer.append(ascii: ", ") }
                first = false
                writer.appendEncoded(parameter.name)
                writer.append(ascii: "=\"")
                writer.appendEncoded(parameter.value)
                writer.append(ascii: "\"")
            }
            if !first { writer.append(ascii: ", ") }
            writer.append(ascii: "oauth_signature=\"")
            if signature.isEmpty {
                writer.appendEncoded(signatureText)
            } else {
                // The signature's own bytes sit in the buffer: encode from offsets, as
                // `appendEncoded` may move the buffer while reading from it.
                writer.reserve(3 * signature.count)
                for index in signature { writer.putEncoded(writer.base[index]) }
            }
            writer.append(ascii: "\"")
            return String(decoding: writer.bytes(headerStart..<writer.count), as: UTF8.self)
        }
    }

    /// Writes `encode(METHOD)&encode(baseStringURI)&encode(normalizedParameters)`.
    private func writeBaseString(
        method: UnsafeBufferPointer<UInt8>, url: UnsafeBufferPointer<UInt8>, uri: URIParts,
        spans: UnsafeMutableBufferPointer<EncodedSpan>, to writer: inout OAuth1ByteWriter
    ) {
        writer.reserve(3 * method.count + 1)
        for byte in method {
            writer.putEncoded((UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 0x20 : byte)
        }
        writer.put(UInt8(ascii: "&"))

        writer.reserve(3 * url.count + 32)
        for index in uri.scheme { writer.putEncoded(OAuth1HTTPHeaders.asciiLowercase(url[index])) }
        for byte in "%3A%2F%2F".utf8 { writer.put(byte) }
        for index in uri.host { writer.putEncoded(OAuth1HTTPHeaders.asciiLowercase(url[index])) }
        if let port = uri.port {
            for byte in "%3A".utf8 { writer.put(byte) }
            for byte in String(port).utf8 { writer.put(byte) }
        }
        if uri.path.isEmpty {
            for byte in "%2F".utf8 { writer.put(byte) }
        } else {
            for index in uri.path { writer.putEncoded(url[index]) }
        }
        writer.put(UInt8(ascii: "&"))

        // The normalized parameters, encoded a second time on the way: the encoded bytes
        // are unreserved or `%XX`, so only '%' (and the '=' and '&' joining them) change.
        for (position, span) in spans.enumerated() {
            writer.reserve(3 * (span.valueEnd - span.nameStart) + 6)
            if position > 0 { for byte in "%26".utf8 { writer.put(byte) } }
            for index in span.nameStart..<span.valueStart { Self.putEncodedAgain(writer.base[index], to: &writer) }
            for byte in "%3D".utf8 { writer.put(byte) }
            for index in span.valueStart..<span.valueEnd { Self.putEncodedAgain(writer.base[index], to: &writer) }
        }
    }

    @inline(__always)
    private static func putEncodedAgain(_ byte: UInt8, to writer: inout OAuth1ByteWriter) {
        if byte == UInt8(ascii: "%") {
            writer.put(UInt8(ascii: "%"))
            writer.put(UInt8(ascii: "2"))
            writer.put(UInt8(ascii: "5"))
        } else {
            writer.put(byte)
        }
    }

    /// Appends `encode(clientSecret)&encode(tokenSecret)` (section 3.4.2); returns where.
    private static func appendSigningKey(
        clientSecret: String, tokenSecret: String, to writer: inout OAuth1ByteWriter
    ) -> Range<Int> {
        let start = writer.count
        writer.appendEncoded(clientSecret)
        writer.append(ascii: "&")
        writer.appendEncoded(tokenSecret)
        return start..<writer.count
    }

    /// HMAC of the base string under `encode(clientSecret)&encode(tokenSecret)`, written as
    /// base64 (the value of `oauth_signature`); returns where it was written.
    private static func appendHMAC(
        _ digest: OpenSSLDigest, baseString: Range<Int>, clientSecret: String, tokenSecret: String,
        to writer: inout OAuth1ByteWriter
    ) throws -> Range<Int> {
        let key = appendSigningKey(clientSecret: clientSecret, tokenSecret: tokenSecret, to: &writer)
        guard key.count <= Int(Int32.max) else {
            throw OAuth1Error(.invalidRequest, message: "the HMAC key is too long")
        }
        writer.reserve(4 * (Int(EVP_MAX_MD_SIZE) + 2) / 3 + 4)
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(EVP_MAX_MD_SIZE)) { mac in
            var length: UInt32 = 0
            let message = writer.bytes(baseString)
            guard
                HMAC(
                    digest.md, writer.base + key.lowerBound, Int32(key.count), message.baseAddress, message.count,
                    mac.baseAddress, &length) != nil
            else {
                ERR_clear_error()
                throw OAuth1Error(.invalidRequest, message: "HMAC computation failed in OpenSSL")
            }
            let start = writer.count
            appendBase64(UnsafeBufferPointer(rebasing: mac[..<Int(length)]), to: &writer)
            return start..<writer.count
        }
    }

    private static let base64Alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with `=` padding (what `Data.base64EncodedString()` writes).
    private static func appendBase64(_ bytes: UnsafeBufferPointer<UInt8>, to writer: inout OAuth1ByteWriter) {
        writer.reserve(4 * ((bytes.count + 2) / 3))
        base64Alphabet.withUnsafeBufferPointer { alphabet in
            var index = 0
            while index + 3 <= bytes.count {
                let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                writer.put(alphabet[Int(value >> 18 & 63)])
                writer.put(alphabet[Int(value >> 12 & 63)])
                writer.put(alphabet[Int(value >> 6 & 63)])
                writer.put(alphabet[Int(value & 63)])
                index += 3
            }
            let rest = bytes.count - index
            if rest > 0 {
                let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
                writer.put(alphabet[Int(value >> 18 & 63)])
                writer.put(alphabet[Int(value >> 12 & 63)])
                writer.put(rest == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
                writer.put(UInt8(ascii: "="))
            }
        }
    }

    // MARK: - Parsing

    /// The base string URI's parts, read exactly as ``SignatureBaseString/baseStringURI(_:)``
    /// reads them; `nil` where that function throws or would need Unicode case mapping.
    static func parseURI(_ url: UnsafeBufferPointer<UInt8>) -> URIParts? {
        let count = url.count
        guard let colon = url.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon + 2 < count,
            url[colon + 1] == UInt8(ascii: "/"), url[colon + 2] == UInt8(ascii: "/")
        else { return nil }
        let authorityStart = colon + 3
        var authorityEnd = authorityStart
        while authorityEnd < count, !isOneOf(url[authorityEnd], "/", "?", "#") { authorityEnd += 1 }
        var pathEnd = authorityEnd
        while pathEnd < count, url[pathEnd] != UInt8(ascii: "?"), url[pathEnd] != UInt8(ascii: "#") { pathEnd += 1 }
        var query: Range<Int>?
        if pathEnd < count, url[pathEnd] == UInt8(ascii: "?") {
            var queryEnd = pathEnd + 1
            while queryEnd < count, url[queryEnd] != UInt8(ascii: "#") { queryEnd += 1 }
            query = pathEnd + 1..<queryEnd
        }

        var hostStart = authorityStart
        if let at = url[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")) { hostStart = at + 1 }
        var hostEnd = authorityEnd
        var portRange = authorityEnd..<authorityEnd
        if hostStart < authorityEnd, url[hostStart] == UInt8(ascii: "[") {
            guard let close = url[hostStart..<authorityEnd].firstIndex(of: UInt8(ascii: "]")) else { return nil }
            hostEnd = close + 1
            if hostEnd < authorityEnd {
                guard url[hostEnd] == UInt8(ascii: ":") else { return nil }
                portRange = hostEnd + 1..<authorityEnd
            }
        } else if let portColon = url[hostStart..<authorityEnd].lastIndex(of: UInt8(ascii: ":")) {
            hostEnd = portColon
            portRange = portColon + 1..<authorityEnd
        }
        guard hostStart < hostEnd else { return nil }
        // Non-ASCII scheme or host bytes would go through Unicode lowercasing there.
        guard !url[0..<colon].contains(where: { $0 >= 0x80 }),
            !url[hostStart..<hostEnd].contains(where: { $0 >= 0x80 })
        else { return nil }

        var port: Int?
        if !portRange.isEmpty {
            // Only plain digits here; `Int(_:)` also takes a sign, left to the detailed path.
            guard portRange.count <= 18 else { return nil }
            var value = 0
            for index in portRange {
                let byte = url[index]
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            guard value <= 65535 else { return nil }
            let isDefault =
                (isScheme(url, 0..<colon, "http") && value == 80) || (isScheme(url, 0..<colon, "https") && value == 443)
            if !isDefault {
                port = value
            }
        }
        return URIParts(
            scheme: 0..<colon, host: hostStart..<hostEnd, port: port, path: authorityEnd..<pathEnd, query: query)
    }

    @inline(__always)
    private static func isOneOf(_ byte: UInt8, _ a: Unicode.Scalar, _ b: Unicode.Scalar, _ c: Unicode.Scalar) -> Bool {
        byte == UInt8(ascii: a) || byte == UInt8(ascii: b) || byte == UInt8(ascii: c)
    }

    private static func isScheme(_ url: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        for (offset, index) in range.enumerated()
        where OAuth1HTTPHeaders.asciiLowercase(url[index]) != name.utf8Start[offset] {
            return false
        }
        return true
    }

    private static func segmentBound(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 1
        for byte in text where byte == UInt8(ascii: "&") { count += 1 }
        return count
    }

    /// Decodes form or query pairs and appends their encodings (section 3.4.1.3.1 then
    /// 3.4.1.3.2), skipping `oauth_signature`; `false` for malformed escapes or decoded
    /// bytes that are not UTF-8.
    static func appendForm(
        _ text: UnsafeBufferPointer<UInt8>, to writer: inout OAuth1ByteWriter,
        spans: UnsafeMutableBufferPointer<EncodedSpan>, count: inout Int
    ) -> Bool {
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count, text[end] != UInt8(ascii: "&") { end += 1 }
            if start < end {
                var equals = start
                while equals < end, text[equals] != UInt8(ascii: "=") { equals += 1 }
                let nameStart = writer.count
                guard appendReencoded(text, start..<equals, to: &writer) else { return false }
                let valueStart = writer.count
                if equals < end {
                    guard appendReencoded(text, equals + 1..<end, to: &writer) else { return false }
                }
                if writer.bytes(nameStart..<valueStart).elementsEqual("oauth_signature".utf8) {
                    writer.truncate(to: nameStart)
                } else {
                    spans[count] = EncodedSpan(nameStart: nameStart, valueStart: valueStart, valueEnd: writer.count)
                    count += 1
                }
            }
            start = end + 1
        }
        return true
    }

    /// Appends `encode(formDecode(text[range]))`.
    private static func appendReencoded(
        _ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, to writer: inout OAuth1ByteWriter
    ) -> Bool {
        writer.reserve(3 * range.count)
        var validator = UTF8Validator()
        var index = range.lowerBound
        while index < range.upperBound {
            var byte = text[index]
            index += 1
            if byte == UInt8(ascii: "%") {
                guard index + 1 < range.upperBound, let high = hexValue(text[index]),
                    let low = hexValue(text[index + 1])
                else { return false }
                byte = high << 4 | low
                index += 2
            } else if byte == UInt8(ascii: "+") {
                byte = UInt8(ascii: " ")
            }
            guard validator.feed(byte) else { return false }
            writer.putEncoded(byte)
        }
        return validator.isComplete
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    private static func hasByteOrderMark(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    private static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var validator = UTF8Validator()
        for byte in bytes where !validator.feed(byte) { return false }
        return validator.isComplete
    }

    private static func withBytes<R>(of data: Data?, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard let data else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try data.withUnsafeBytes { raw in
            try body(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
        }
    }

    // MARK: - Sorting

    /// Sorts by encoded name, then encoded value, in byte order (section 3.4.1.3.2).
    static func sort(_ spans: UnsafeMutableBufferPointer<EncodedSpan>, in writer: OAuth1ByteWriter) {
        let base = writer.base
        func less(_ a: EncodedSpan, _ b: EncodedSpan) -> Bool {
            let byName = compare(base, a.nameStart..<a.valueStart, b.nameStart..<b.valueStart)
            return byName != 0 ? byName < 0 : compare(base, a.valueStart..<a.valueEnd, b.valueStart..<b.valueEnd) < 0
        }
        if spans.count > 32 {
            var spans = spans
            spans.sort(by: less)
            return
        }
        // Insertion sort: no temporary buffer, and fastest for a request's handful of pairs.
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

    @inline(__always)
    private static func compare(_ base: UnsafeMutablePointer<UInt8>, _ a: Range<Int>, _ b: Range<Int>) -> Int {
        let common = min(a.count, b.count)
        if common > 0 {
            let result = memcmp(base + a.lowerBound, base + b.lowerBound, common)
            if result != 0 { return Int(result) }
        }
        return a.count - b.count
    }
}

extension Optional where Wrapped == String {
    /// Runs `body` over the UTF-8 of the string, or over `nil`.
    fileprivate mutating func withOptionalUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>?) throws -> R) rethrows -> R {
        guard var string = self else { return try body(nil) }
        defer { self = string }
        return try string.withUTF8 { try body($0) }
    }
}
