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

    /// The uppercase hex digit of a nibble (section 3.6 requires uppercase).
    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
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
            // Nothing to encode (most names and many values): the string itself.
            if escapes == 0 { return nil }
            return String(unsafeUninitializedCapacity: input.count + 2 * escapes) { output in
                guard let start = output.baseAddress else { return 0 }
                var position = start
                for byte in input { position += writeEncoded(byte, to: position) }
                return position - start
            }
        }
        return encoded ?? string
    }

    /// The one percent-encoder: writes `byte` as itself when unreserved, else as `%XX`,
    /// at `output`, which has room for 3 bytes; returns how many it wrote.
    @inline(__always)
    static func writeEncoded(_ byte: UInt8, to output: UnsafeMutablePointer<UInt8>) -> Int {
        if isUnreserved(byte) {
            output[0] = byte
            return 1
        }
        output[0] = UInt8(ascii: "%")
        output[1] = hexDigit(byte >> 4)
        output[2] = hexDigit(byte & 0x0F)
        return 3
    }

    /// Decodes `%XX` escapes (RFC 3986); a `+` stays a `+`.
    ///
    /// - Parameter string: Percent-encoded text.
    /// - Returns: The decoded string.
    /// - Throws: ``OAuth1Error`` with code ``OAuth1Error/Code/invalidRequest`` when an
    ///   escape is truncated or not hex, or the decoded bytes are not valid UTF-8.
    public static func decode(_ string: String) throws -> String {
        var text = string
        return try text.withUTF8 { try decodedString($0, plusIsSpace: false) }
    }

    /// Decodes one component: `+` is a space when `plusIsSpace` (form rules), then `%XX`.
    static func decodedString(_ text: UnsafeBufferPointer<UInt8>, plusIsSpace: Bool) throws(OAuth1Error) -> String {
        // Nothing to decode: the text is the value (and it is UTF-8, as it came from a String
        // or was checked as a body).
        if !text.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(decoding: text, as: UTF8.self)
        }
        var writer = OAuth1ByteWriter(capacity: text.count)
        try decodeComponent(text, plusIsSpace: plusIsSpace) { writer.put($0) }
        return writer.string(0..<writer.count)
    }

    /// The one form and percent decoder: hands each decoded byte of `text` to `emit`, in
    /// order, after checking that the bytes so far can still be UTF-8 (RFC 3629). `emit`
    /// may store one byte per input byte without checking capacity.
    ///
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) for a `%` not
    ///   followed by two hex digits, or decoded bytes that are not UTF-8.
    @inline(__always)
    static func decodeComponent(
        _ text: UnsafeBufferPointer<UInt8>, plusIsSpace: Bool, _ emit: (UInt8) -> Void
    ) throws(OAuth1Error) {
        var validator = UTF8Validator()
        var index = 0
        while index < text.count {
            var byte = text[index]
            index += 1
            if byte == UInt8(ascii: "%") {
                guard index + 1 < text.count, let high = hexValue(text[index]), let low = hexValue(text[index + 1])
                else { throw malformedEscape }
                byte = high << 4 | low
                index += 2
            } else if byte == UInt8(ascii: "+") && plusIsSpace {
                byte = UInt8(ascii: " ")
            }
            guard validator.feed(byte) else { throw notUTF8 }
            emit(byte)
        }
        guard validator.isComplete else { throw notUTF8 }
    }

    static let malformedEscape = OAuth1Error(
        .invalidRequest, message: "malformed percent-encoding: '%' must be followed by two hex digits")
    static let notUTF8 = OAuth1Error(.invalidRequest, message: "percent-encoded text is not valid UTF-8")

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// The one form splitter: calls `body` with the name and value ranges of each pair in
    /// `text` (`&`-separated; empty segments skipped; the name ends at the first `=`; a
    /// segment without `=` has an empty value).
    @inline(__always)
    static func forEachPair<E: Error>(
        in text: UnsafeBufferPointer<UInt8>, _ body: (_ name: Range<Int>, _ value: Range<Int>) throws(E) -> Void
    ) throws(E) {
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count, text[end] != UInt8(ascii: "&") { end += 1 }
            if start < end {
                var equals = start
                while equals < end, text[equals] != UInt8(ascii: "=") { equals += 1 }
                try body(start..<equals, equals < end ? equals + 1..<end : end..<end)
            }
            start = end + 1
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
        var text = formOrQuery
        return try text.withUTF8 { try parseForm($0) }
    }

    /// ``parseForm(_:)`` over UTF-8 bytes.
    static func parseForm(_ text: UnsafeBufferPointer<UInt8>) throws(OAuth1Error) -> [OAuth1Parameter] {
        var parameters: [OAuth1Parameter] = []
        try forEachPair(in: text) { (name, value) throws(OAuth1Error) in
            parameters.append(
                OAuth1Parameter(
                    name: try decodedString(UnsafeBufferPointer(rebasing: text[name]), plusIsSpace: true),
                    value: try decodedString(UnsafeBufferPointer(rebasing: text[value]), plusIsSpace: true)))
        }
        return parameters
    }

    /// Encodes pairs as `name=value&...` with ``encode(_:)``, in the given order.
    ///
    /// The result is valid `application/x-www-form-urlencoded` text and a valid URL query.
    public static func formEncode(_ parameters: [OAuth1Parameter]) -> String {
        var writer = OAuth1ByteWriter(capacity: 64)
        for (index, parameter) in parameters.enumerated() {
            if index > 0 { writer.append(ascii: "&") }
            writer.appendEncoded(parameter.name)
            writer.append(ascii: "=")
            writer.appendEncoded(parameter.value)
        }
        return writer.string(0..<writer.count)
    }
}
