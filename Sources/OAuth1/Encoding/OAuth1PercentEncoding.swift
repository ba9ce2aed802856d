import Foundation

/// Percent-encoding as RFC 5849 section 3.6 requires it, and form decoding.
///
/// ``encode(_:)`` encodes the UTF-8 bytes of a string, leaving only the RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) as they are and writing every other byte as `%XX`
/// with uppercase hex. A space is `%20` and a `+` is `%2B`.
///
/// ``parseForm(_:)`` decodes `application/x-www-form-urlencoded` text, where `+` stands for
/// a space. RFC 5849 section 3.4.1.3.1 says to decode a URL's query component the same
/// way, so this type decodes queries and form bodies alike: `?q=a+b` is the value `a b`
/// and signs as `q=a%20b`. Send a literal plus sign as `%2B`.
public enum OAuth1PercentEncoding {
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Whether `byte` is an RFC 3986 unreserved character.
    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Percent-encodes `string` per RFC 5849 section 3.6.
    ///
    /// - Parameter string: Any string; it is encoded as UTF-8.
    /// - Returns: The encoded string, containing only unreserved characters and `%XX`.
    public static func encode(_ string: String) -> String {
        var source = string
        let encoded: String? = source.withUTF8 { input in
            var escapes = 0
            for byte in input where !isUnreserved(byte) { escapes += 1 }
            // Fast path: nothing to encode (most names and many values).
            if escapes == 0 { return nil }
            return String(unsafeUninitializedCapacity: input.count + 2 * escapes) { output in
                var position = 0
                for byte in input {
                    if isUnreserved(byte) {
                        output[position] = byte
                        position += 1
                    } else {
                        output[position] = UInt8(ascii: "%")
                        output[position + 1] = hexDigits[Int(byte >> 4)]
                        output[position + 2] = hexDigits[Int(byte & 0x0F)]
                        position += 3
                    }
                }
                return position
            }
        }
        return encoded ?? string
    }

    /// Appends the encoding of `string` to `output` (the byte-level core of the normalizer).
    static func appendEncoded(_ string: String, to output: inout [UInt8]) {
        for byte in string.utf8 {
            if isUnreserved(byte) {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
    }

    /// Decodes `%XX` escapes (RFC 3986); a `+` stays a `+`.
    ///
    /// - Parameter string: Percent-encoded text.
    /// - Returns: The decoded string.
    /// - Throws: ``OAuth1Error`` with code ``OAuth1Error/Code/invalidRequest`` when an
    ///   escape is truncated or not hex, or the decoded bytes are not valid UTF-8.
    public static func decode(_ string: String) throws -> String {
        try decode(string, plusIsSpace: false)
    }

    /// Decodes one form component: `+` is a space, then `%XX` escapes.
    static func decode(_ string: some StringProtocol, plusIsSpace: Bool) throws -> String {
        let utf8 = string.utf8
        if !utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(string)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue),
                    let low = iterator.next().flatMap(hexValue)
                else {
                    throw OAuth1Error(
                        .invalidRequest,
                        message: "malformed percent-encoding: '%' must be followed by two hex digits")
                }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw OAuth1Error(.invalidRequest, message: "percent-encoded text is not valid UTF-8")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// Parses `application/x-www-form-urlencoded` text or a URL query into decoded pairs.
    ///
    /// Pairs are separated by `&`; empty segments are skipped; a name without `=` has the
    /// empty value; the name ends at the first `=`. `+` decodes to a space in names and
    /// values (RFC 5849 section 3.4.1.3.1 applies the form rules to queries too).
    ///
    /// - Parameter formOrQuery: The encoded text, without a leading `?`.
    /// - Returns: The pairs in their original order, duplicates kept.
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) for malformed escapes.
    public static func parseForm(_ formOrQuery: String) throws -> [OAuth1Parameter] {
        // Scans UTF-8 bytes: '&' and '=' are ASCII, so every split point is a valid String.Index.
        let utf8 = formOrQuery.utf8
        var parameters: [OAuth1Parameter] = []
        var segmentStart = utf8.startIndex
        while segmentStart < utf8.endIndex {
            let segmentEnd = utf8[segmentStart...].firstIndex(of: UInt8(ascii: "&")) ?? utf8.endIndex
            if segmentStart < segmentEnd {
                let segment = formOrQuery[segmentStart..<segmentEnd]
                if let equals = segment.utf8.firstIndex(of: UInt8(ascii: "=")) {
                    parameters.append(
                        OAuth1Parameter(
                            name: try decode(segment[..<equals], plusIsSpace: true),
                            value: try decode(segment[segment.utf8.index(after: equals)...], plusIsSpace: true)))
                } else {
                    parameters.append(OAuth1Parameter(name: try decode(segment, plusIsSpace: true), value: ""))
                }
            }
            segmentStart = segmentEnd < utf8.endIndex ? utf8.index(after: segmentEnd) : utf8.endIndex
        }
        return parameters
    }

    /// Encodes pairs as `name=value&...` with ``encode(_:)``, in the given order.
    ///
    /// The result is valid `application/x-www-form-urlencoded` text and a valid URL query.
    public static func formEncode(_ parameters: [OAuth1Parameter]) -> String {
        var result = ""
        for (index, parameter) in parameters.enumerated() {
            if index > 0 { result += "&" }
            result += encode(parameter.name)
            result += "="
            result += encode(parameter.value)
        }
        return result
    }
}
