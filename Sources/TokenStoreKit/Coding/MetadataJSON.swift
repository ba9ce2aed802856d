/// Token metadata as a JSON object of strings, the form the SQL drivers store it in.
///
/// Written by hand because it is on every read and write: a fresh `JSONDecoder` per row
/// (with its generic metadata lookups and boxing) cost more than the rest of an SQLite
/// point read, and `JSONSerialization` drops U+FEFF inside strings. The decoder accepts
/// any JSON text that is an object whose values are all strings (whitespace anywhere JSON
/// allows it, every escape, surrogate pairs), as PostgreSQL's `jsonb` prints it or an
/// older `JSONEncoder` wrote it, and refuses everything else; a repeated key keeps its
/// last value.
package enum MetadataJSON {
    /// `metadata` as a compact JSON object, keys sorted by their UTF-8 bytes (stable bytes
    /// for the same dictionary).
    package static func encode(_ metadata: [String: String]) -> String {
        guard !metadata.isEmpty else { return "{}" }
        var json = "{"
        for (index, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { json.append(",") }
            appendString(key, to: &json)
            json.append(":")
            appendString(metadata[key] ?? "", to: &json)
        }
        json.append("}")
        return json
    }

    /// The dictionary `json` holds, or `nil` when it is not a JSON object of strings.
    package static func decode(_ json: String) -> [String: String]? {
        var json = json
        return json.withUTF8 { bytes in
            var parser = MetadataJSONParser(bytes: bytes)
            return parser.object()
        }
    }

    /// `text` as a JSON string literal: `"` and `\` escaped, control characters too.
    private static func appendString(_ text: String, to json: inout String) {
        json.append("\"")
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            json.append(text)
            json.append("\"")
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json.append("\\\"")
            case "\\": json.append("\\\\")
            case "\n": json.append("\\n")
            case "\r": json.append("\\r")
            case "\t": json.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                json.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: json.unicodeScalars.append(scalar)
            }
        }
        json.append("\"")
    }
}

/// A strict reader of one JSON object of strings over UTF-8 bytes (RFC 8259).
private struct MetadataJSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func object() -> [String: String]? {
        skipWhitespace()
        guard consume(UInt8(ascii: "{")) else { return nil }
        var result: [String: String] = [:]
        skipWhitespace()
        if !consume(UInt8(ascii: "}")) {
            while true {
                guard let key = string() else { return nil }
                skipWhitespace()
                guard consume(UInt8(ascii: ":")) else { return nil }
                skipWhitespace()
                guard let value = string() else { return nil }
                result[key] = value
                skipWhitespace()
                if consume(UInt8(ascii: "}")) { break }
                guard consume(UInt8(ascii: ",")) else { return nil }
                skipWhitespace()
            }
        }
        skipWhitespace()
        return index == bytes.count ? result : nil
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string literal; the common one, without escapes, is one copy of its bytes.
    private mutating func string() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            case UInt8(ascii: "\\"):
                return escapedString(prefix: start..<index)
            case 0..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    /// The rest of a string literal that holds escapes; `prefix` was read without any.
    private mutating func escapedString(prefix: Range<Int>) -> String? {
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[prefix]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    UTF8.encode(scalar) { utf8.append($0) }
                default: return nil
                }
            case 0..<0x20:
                return nil
            default:
                utf8.append(byte)
            }
        }
        return nil
    }

    /// The scalar of a `\uXXXX` escape (after `\u`), joining a surrogate pair; `nil` for a
    /// lone surrogate.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let first = hex4() else { return nil }
        switch first {
        case 0xD800...0xDBFF:
            guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")), let second = hex4(),
                (0xDC00...0xDFFF).contains(second)
            else { return nil }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
        case 0xDC00...0xDFFF:
            return nil
        default:
            return Unicode.Scalar(first)
        }
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
