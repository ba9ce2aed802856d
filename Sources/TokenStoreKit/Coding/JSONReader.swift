/// The JSON pieces the hand-written codecs share (``MetadataJSON``, the file store's
/// records): whitespace, punctuation, string literals and objects of strings, over UTF-8
/// bytes (RFC 8259). Every method returns `nil` (or `false`) on malformed input and never
/// reads outside the buffer; callers decide what a failure means.
package struct JSONReader {
    package let bytes: UnsafeBufferPointer<UInt8>
    /// Whether strings are checked to be valid UTF-8: needed for bytes read from a file,
    /// not for the bytes of a Swift `String`, which are valid already.
    package let validatesUTF8: Bool
    package var index = 0

    package init(bytes: UnsafeBufferPointer<UInt8>, validatesUTF8: Bool) {
        self.bytes = bytes
        self.validatesUTF8 = validatesUTF8
    }

    package mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` after any whitespace; `false` (consuming only the whitespace) when
    /// the next byte is another.
    package mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// The next byte after any whitespace, not consumed.
    package mutating func peek() -> UInt8? {
        skipSpace()
        return index < bytes.count ? bytes[index] : nil
    }

    /// Whether only whitespace is left.
    package mutating func isAtEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    /// An object whose values are all strings; a repeated key keeps its last value.
    package mutating func stringObject() -> [String: String]? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var result: [String: String] = [:]
        if take(UInt8(ascii: "}")) { return result }
        repeat {
            guard let name = string(), take(UInt8(ascii: ":")), let value = string() else { return nil }
            result[name] = value
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")) else { return nil }
        return result
    }

    /// A string literal, after any whitespace. The common one, without escapes, is one
    /// copy of its bytes.
    package mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                let text = makeString(UnsafeBufferPointer(rebasing: bytes[start..<index]))
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

    private func makeString<Bytes: Collection<UInt8>>(_ utf8: Bytes) -> String? {
        validatesUTF8 ? String(validating: utf8, as: UTF8.self) : String(decoding: utf8, as: UTF8.self)
    }

    /// The rest of a string literal that holds escapes; `prefix` was read without any.
    private mutating func escapedString(prefix: Range<Int>) -> String? {
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[prefix]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return makeString(utf8)
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
            guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { return nil }
            index += 2
            guard let second = hex4(), (0xDC00...0xDFFF).contains(second) else { return nil }
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

/// Writing JSON string literals, for the same codecs.
package enum JSONWriter {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `value` as a JSON string literal: `"` and `\` escaped, control characters as
    /// `\n`, `\r`, `\t` or `\u00XX`, everything else as is (UTF-8, `/` unescaped).
    package static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
