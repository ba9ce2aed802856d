/// Builds and parses `Authorization: OAuth ...` header values (RFC 5849 section 3.5.1).
public enum OAuth1AuthorizationHeader {
    /// Builds the header value: `OAuth realm="...", oauth_consumer_key="...", ...`.
    ///
    /// Names and values are percent-encoded (section 3.6) and quoted, in the given order.
    /// The realm is a quoted string (RFC 2617): `\` and `"` are backslash-escaped and
    /// control characters (which could split the header) are dropped.
    ///
    /// - Parameters:
    ///   - protocolParameters: The `oauth_*` parameters, including `oauth_signature`.
    ///   - realm: The optional realm, listed first.
    public static func make(protocolParameters: [OAuth1Parameter], realm: String? = nil) -> String {
        var writer = OAuth1ByteWriter(capacity: 64 + protocolParameters.count * 48)
        let header = append(protocolParameters: protocolParameters, signature: nil, realm: realm, to: &writer)
        return writer.string(header)
    }

    /// Writes the header value into `writer`; returns where. `signature`, when given, is
    /// where the value of `oauth_signature` sits in `writer`: it is listed last.
    static func append(
        protocolParameters: [OAuth1Parameter], signature: Range<Int>?, realm: String?,
        to writer: inout OAuth1ByteWriter
    ) -> Range<Int> {
        let start = writer.count
        writer.append(ascii: "OAuth ")
        var first = true
        if let realm {
            writer.append(ascii: "realm=\"")
            var realm = realm
            realm.withUTF8 { bytes in
                writer.reserve(2 * bytes.count)
                // UTF-8 puts no byte of a multi-byte character below 0x80: this drops
                // exactly the control characters.
                for byte in bytes where !isControl(Unicode.Scalar(byte)) {
                    if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { writer.put(UInt8(ascii: "\\")) }
                    writer.put(byte)
                }
            }
            writer.append(ascii: "\"")
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
        if let signature {
            if !first { writer.append(ascii: ", ") }
            writer.append(ascii: "oauth_signature=\"")
            writer.appendEncoded(offsets: signature)
            writer.append(ascii: "\"")
        }
        return start..<writer.count
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }

    /// Parses an `OAuth ...` header value into its realm and decoded protocol parameters.
    ///
    /// Accepts the scheme in any case, optional whitespace around `=` and `,`, and quoted
    /// values (backslash escapes allowed). Parameter values other than `realm` are
    /// percent-decoded. The returned list keeps the header's order and never includes `realm`.
    ///
    /// - Parameter headerValue: The value of the `Authorization` header.
    /// - Returns: The realm, if present, and the other parameters.
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) when the scheme is
    ///   not `OAuth`, the syntax is malformed, a value is not validly percent-encoded, or a
    ///   parameter appears twice (section 3.1 forbids repeated protocol parameters).
    public static func parse(_ headerValue: String) throws -> (realm: String?, parameters: [OAuth1Parameter]) {
        var scanner = HeaderScanner(Array(headerValue.utf8))
        scanner.skipWhitespace()
        guard scanner.consumeToken()?.lowercased() == "oauth" else {
            throw malformed("the header does not use the 'OAuth' scheme")
        }
        var realm: String?
        var parameters: [OAuth1Parameter] = []
        var seen: Set<String> = []
        if !scanner.atEnd, !scanner.isWhitespace {
            throw malformed("expected whitespace after 'OAuth'")
        }
        scanner.skipWhitespace()
        while !scanner.atEnd {
            guard let name = scanner.consumeToken() else { throw malformed("expected a parameter name") }
            scanner.skipWhitespace()
            guard scanner.consume(UInt8(ascii: "=")) else { throw malformed("expected '=' after '\(name)'") }
            scanner.skipWhitespace()
            guard let raw = try scanner.consumeQuotedString() else {
                throw malformed("the value of '\(name)' must be a quoted string")
            }
            guard seen.insert(name).inserted else { throw malformed("the parameter '\(name)' appears twice") }
            if name == "realm" {
                realm = raw
            } else {
                parameters.append(
                    OAuth1Parameter(
                        name: try OAuth1PercentEncoding.decode(name), value: try OAuth1PercentEncoding.decode(raw)))
            }
            scanner.skipWhitespace()
            if scanner.atEnd { break }
            guard scanner.consume(UInt8(ascii: ",")) else { throw malformed("expected ',' after '\(name)'") }
            scanner.skipWhitespace()
        }
        return (realm, parameters)
    }

    static func malformed(_ detail: String) -> OAuth1Error {
        OAuth1Error(.invalidRequest, message: "malformed OAuth Authorization header: \(detail)")
    }
}

/// A byte cursor over a header value.
private struct HeaderScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }
    var isWhitespace: Bool { !atEnd && (bytes[index] == 0x20 || bytes[index] == 0x09) }

    mutating func skipWhitespace() {
        while isWhitespace { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard !atEnd, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// An RFC 7230 token (letters, digits and `!#$%&'*+-.^_`|~`).
    mutating func consumeToken() -> String? {
        let start = index
        while !atEnd, Self.isTokenByte(bytes[index]) { index += 1 }
        return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
    }

    /// A quoted string with backslash escapes; `nil` if the next byte is not `"`.
    mutating func consumeQuotedString() throws -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        var value: [UInt8] = []
        while !atEnd {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: value, as: UTF8.self) else {
                    throw OAuth1AuthorizationHeader.malformed("a quoted value is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                guard !atEnd else { break }
                value.append(bytes[index])
                index += 1
            case 0..<0x20 where byte != 0x09, 0x7F:
                throw OAuth1AuthorizationHeader.malformed("a quoted value contains a control character")
            default:
                value.append(byte)
            }
        }
        throw OAuth1AuthorizationHeader.malformed("a quoted value is not terminated")
    }

    private static let extraTokenBytes: [UInt8] = Array("!#$%&'*+-.^_`|~".utf8)

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return extraTokenBytes.contains(byte)
        }
    }
}
