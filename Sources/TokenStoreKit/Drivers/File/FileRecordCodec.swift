/// A small JSON writer and reader for ``FileRecord``, several times faster than
/// `JSONEncoder`/`JSONDecoder` on these few-hundred-byte records (a get is mostly decoding).
///
/// The reader takes any JSON object of the record's shape (strings, integers, `null`, one
/// object of strings), with any whitespace, key order and escapes; it returns `nil` rather
/// than trapping on anything else, and the caller then tries `JSONDecoder`.
enum FileRecordCodec {
    // MARK: Writing

    static func encode(_ record: FileRecord) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + record.secret.utf8.count + record.token.utf8.count)
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ name: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
        }
        func string(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            writeString(value, into: &out)
        }
        func integer(_ name: StaticString, _ value: Int64?) {
            guard let value else { return }
            key(name)
            out.append(contentsOf: String(value).utf8)
        }
        string("format", record.format)
        string("kind", record.kind)
        string("provider", record.provider)
        string("userID", record.userID)
        string("token", record.token)
        string("secret", record.secret)
        string("screenName", record.screenName)
        string("accessType", record.accessType)
        string("callbackURL", record.callbackURL)
        string("returnTo", record.returnTo)
        string("sessionBinding", record.sessionBinding)
        key("metadata")
        out.append(UInt8(ascii: "{"))
        for (index, name) in record.metadata.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            writeString(name, into: &out)
            out.append(UInt8(ascii: ":"))
            writeString(record.metadata[name] ?? "", into: &out)
        }
        out.append(UInt8(ascii: "}"))
        integer("createdAt", record.createdAt)
        integer("updatedAt", record.updatedAt)
        integer("expiresAt", record.expiresAt)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Reading

    static func decode(_ bytes: [UInt8]) -> FileRecord? {
        var reader = Reader(bytes: bytes)
        return reader.record()
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[index]) { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func peek() -> UInt8? {
            skipSpace()
            return index < bytes.count ? bytes[index] : nil
        }

        mutating func record() -> FileRecord? {
            var record = FileRecord(empty: ())
            var sawFormat = false
            var sawKind = false
            var sawCreated = false
            guard take(UInt8(ascii: "{")) else { return nil }
            if !take(UInt8(ascii: "}")) {
                repeat {
                    guard let name = string(), take(UInt8(ascii: ":")) else { return nil }
                    switch name {
                    case "format":
                        guard let value = string() else { return nil }
                        record.format = value
                        sawFormat = true
                    case "kind":
                        guard let value = string() else { return nil }
                        record.kind = value
                        sawKind = true
                    case "provider": guard let value = string() else { return nil }; record.provider = value
                    case "token": guard let value = string() else { return nil }; record.token = value
                    case "secret": guard let value = string() else { return nil }; record.secret = value
                    case "userID": guard let value = optionalString() else { return nil }; record.userID = value
                    case "screenName": guard let value = optionalString() else { return nil }; record.screenName = value
                    case "accessType": guard let value = optionalString() else { return nil }; record.accessType = value
                    case "callbackURL": guard let value = optionalString() else { return nil }; record.callbackURL = value
                    case "returnTo": guard let value = optionalString() else { return nil }; record.returnTo = value
                    case "sessionBinding":
                        guard let value = optionalString() else { return nil }
                        record.sessionBinding = value
                    case "metadata":
                        guard let value = stringObject() else { return nil }
                        record.metadata = value
                    case "createdAt":
                        guard let value = integer() else { return nil }
                        record.createdAt = value
                        sawCreated = true
                    case "updatedAt": guard let value = optionalInteger() else { return nil }; record.updatedAt = value
                    case "expiresAt": guard let value = optionalInteger() else { return nil }; record.expiresAt = value
                    default: return nil
                    }
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "}")) else { return nil }
            }
            skipSpace()
            guard index == bytes.count, sawFormat, sawKind, sawCreated else { return nil }
            return record
        }

        /// `nil` when malformed; `.some(nil)` for JSON `null`.
        mutating func optionalString() -> String?? {
            if peek() == UInt8(ascii: "n") { return null() ? .some(nil) : nil }
            guard let value = string() else { return nil }
            return .some(value)
        }

        mutating func optionalInteger() -> Int64?? {
            if peek() == UInt8(ascii: "n") { return null() ? .some(nil) : nil }
            guard let value = integer() else { return nil }
            return .some(value)
        }

        mutating func null() -> Bool {
            guard index + 4 <= bytes.count, Array(bytes[index..<index + 4]) == Array("null".utf8) else { return false }
            index += 4
            return true
        }

        mutating func integer() -> Int64? {
            skipSpace()
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var value: Int64 = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                let digit = Int64(bytes[index] - UInt8(ascii: "0"))
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
                if overflow1 || overflow2 { return nil }
                value = sum
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            // Fractions and exponents are not ours: let JSONDecoder judge.
            if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
                return nil
            }
            return value
        }

        mutating func stringObject() -> [String: String]? {
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

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: return nil
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(validating: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                                bytes[index + 1] == UInt8(ascii: "u")
                            else { return nil }
                            index += 2
                            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { return nil }
                        out.append(contentsOf: String(Character(unicode)).utf8)
                    default:
                        return nil
                    }
                case 0..<0x20:
                    return nil
                default:
                    out.append(byte)
                }
            }
            return nil
        }
    }
}
