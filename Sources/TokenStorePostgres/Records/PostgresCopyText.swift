/// Encodes rows in `COPY`'s text format: fields separated by tabs, a row per line, `\N`
/// for NULL, and backslash, tab, newline and carriage return escaped with a backslash, so
/// every other byte (any Unicode) is sent as is. Values never hold NUL (refused before).
enum PostgresCopyText {
    /// Appends a row of `round` (when given) followed by `fields` to `buffer`.
    static func appendRow(round: Int?, _ fields: [String?], to buffer: inout [UInt8]) {
        var first = true
        if let round {
            appendDigits(round, to: &buffer)
            first = false
        }
        for field in fields {
            if !first { buffer.append(UInt8(ascii: "\t")) }
            first = false
            guard var field else {
                buffer.append(UInt8(ascii: "\\"))
                buffer.append(UInt8(ascii: "N"))
                continue
            }
            field.withUTF8 { bytes in
                let needsEscape = bytes.contains { byte in
                    byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                }
                guard needsEscape else {
                    buffer.append(contentsOf: bytes)
                    return
                }
                for byte in bytes {
                    let escaped: UInt8? =
                        switch byte {
                        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
                        case UInt8(ascii: "\t"): UInt8(ascii: "t")
                        case UInt8(ascii: "\n"): UInt8(ascii: "n")
                        case UInt8(ascii: "\r"): UInt8(ascii: "r")
                        default: nil
                        }
                    if let escaped {
                        buffer.append(UInt8(ascii: "\\"))
                        buffer.append(escaped)
                    } else {
                        buffer.append(byte)
                    }
                }
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    /// A round number's decimal digits (small: rounds are per chunk).
    private static func appendDigits(_ value: Int, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: String(value).utf8)
    }
}
