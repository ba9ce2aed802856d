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
        out.reserveCapacity(256 + (record.secret?.utf8.count ?? 0) + (record.token?.utf8.count ?? 0))
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
            JSONWriter.appendString(value, to: &out)
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
            JSONWriter.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.appendString(record.metadata[name] ?? "", to: &out)
        }
        out.append(UInt8(ascii: "}"))
        integer("createdAt", record.createdAt)
        integer("updatedAt", record.updatedAt)
        integer("expiresAt", record.expiresAt)
        out.append(UInt8(ascii: "}"))
        return out
    }

    // MARK: Reading

    static func decode(_ bytes: [UInt8]) -> FileRecord? {
        bytes.withUnsafeBufferPointer { bytes in
            var reader = JSONReader(bytes: bytes, validatesUTF8: true)
            return reader.fileRecord()
        }
    }
}

/// The record's shape on top of the shared JSON pieces.
extension JSONReader {
    fileprivate mutating func fileRecord() -> FileRecord? {
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
        guard isAtEnd(), sawFormat, sawKind, sawCreated else { return nil }
        return record
    }

    /// `nil` when malformed; `.some(nil)` for JSON `null`.
    private mutating func optionalString() -> String?? {
        if peek() == UInt8(ascii: "n") { return null() ? .some(nil) : nil }
        guard let value = string() else { return nil }
        return .some(value)
    }

    private mutating func optionalInteger() -> Int64?? {
        if peek() == UInt8(ascii: "n") { return null() ? .some(nil) : nil }
        guard let value = integer() else { return nil }
        return .some(value)
    }

    private mutating func null() -> Bool {
        guard index + 4 <= bytes.count, Array(bytes[index..<index + 4]) == Array("null".utf8) else { return false }
        index += 4
        return true
    }

    private mutating func integer() -> Int64? {
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
}
