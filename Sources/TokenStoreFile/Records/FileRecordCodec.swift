import Foundation
import TokenStoreKit

// The file store's one mapping between the token models and its storage: `FileRecord`
// (the fields of a record file, from and to `AccessToken`, `RequestToken` and
// `OAuth2TokenSet` with its refresh lease) and
// `FileRecordCodec` (those fields as JSON bytes). A new token field is added here.

/// The JSON of one record file. Dates are whole milliseconds since 1970. `format` and
/// `kind` let the store tell its records from foreign JSON.
///
/// Every field a token needs is optional here so that a record missing one decodes, and
/// ``accessToken()``/``requestToken()`` can say which one is missing instead of making
/// it up (an absent `secret` must never read back as `""`).
struct FileRecord: Codable {
    static let formatName = "tokenstore-file-1"

    /// Why a record of the right format and kind does not make a token; names fields and
    /// numbers, never a value of a text field (which may be a secret).
    struct Problem: Error {
        var reason: String
    }

    var format: String
    var kind: String
    var provider: String?
    var userID: String?
    var token: String?
    var secret: String?
    var screenName: String?
    var accessType: String?
    var callbackURL: String?
    var returnTo: String?
    var sessionBinding: String?
    var metadata: [String: String]
    var createdAt: Int64
    var updatedAt: Int64?
    var expiresAt: Int64?
    // Token sets only (`token` holds the access token, `expiresAt` its expiry).
    var tokenType: String?
    var refreshToken: String?
    var scope: String?
    var idToken: String?
    var invalidatedAt: Int64?
    var version: Int64?
    /// The refresh lease's holder and expiry (milliseconds by the store's clock), both
    /// absent when no lease is held.
    var leaseOwner: String?
    var leaseExpiresAt: Int64?

    /// A record with every field empty, filled in by ``FileRecordCodec``.
    init(empty: Void) {
        format = ""
        kind = ""
        metadata = [:]
        createdAt = 0
    }

    init(_ token: AccessToken) {
        format = Self.formatName
        kind = "access"
        provider = token.provider
        userID = token.userID
        self.token = token.token
        secret = token.secret
        screenName = token.screenName
        accessType = token.accessType
        metadata = token.metadata
        createdAt = TokenTimestamp.milliseconds(token.createdAt)
        updatedAt = TokenTimestamp.milliseconds(token.updatedAt)
    }

    init(_ token: RequestToken) {
        format = Self.formatName
        kind = "request"
        provider = token.provider
        self.token = token.token
        secret = token.secret
        callbackURL = token.context.callbackURL
        returnTo = token.context.returnTo
        sessionBinding = token.context.sessionBinding
        metadata = token.context.metadata
        createdAt = TokenTimestamp.milliseconds(token.createdAt)
        expiresAt = TokenTimestamp.milliseconds(token.expiresAt)
    }

    /// `tokenSet` as stored, with `lease` (absent when no lease is held).
    init(_ tokenSet: OAuth2TokenSet, lease: StoredTokenSet.Lease?) {
        format = Self.formatName
        kind = "tokenset"
        provider = tokenSet.provider
        userID = tokenSet.userID
        token = tokenSet.accessToken
        tokenType = tokenSet.tokenType
        expiresAt = tokenSet.expiresAt.map(TokenTimestamp.milliseconds)
        refreshToken = tokenSet.refreshToken
        scope = tokenSet.scope
        idToken = tokenSet.idToken
        screenName = tokenSet.screenName
        metadata = tokenSet.metadata
        createdAt = TokenTimestamp.milliseconds(tokenSet.createdAt)
        updatedAt = TokenTimestamp.milliseconds(tokenSet.updatedAt)
        invalidatedAt = tokenSet.invalidatedAt.map(TokenTimestamp.milliseconds)
        version = tokenSet.version
        leaseOwner = lease?.owner
        leaseExpiresAt = lease?.expiresAt
    }

    // The fallback reader for records ``FileRecordCodec`` does not take (e.g. written by
    // hand with floating-point dates); shared, as it keeps no state between calls.
    private static let decoder = JSONDecoder()

    func encoded() throws -> [UInt8] {
        FileRecordCodec.encode(self)
    }

    /// Decodes `bytes` as a record of `kind`, or `nil` when they are not one.
    static func decode(_ bytes: [UInt8], kind: String) -> FileRecord? {
        guard let record = FileRecordCodec.decode(bytes) ?? (try? decoder.decode(FileRecord.self, from: Data(bytes))),
            record.format == formatName, record.kind == kind
        else { return nil }
        return record
    }

    /// The access token in the bytes of a record file.
    static func decodeAccessToken(_ bytes: [UInt8]) throws(Problem) -> AccessToken {
        guard let record = decode(bytes, kind: "access") else { throw Problem(reason: notARecord) }
        return try record.accessToken()
    }

    /// The request token in the bytes of a record file.
    static func decodeRequestToken(_ bytes: [UInt8]) throws(Problem) -> RequestToken {
        guard let record = decode(bytes, kind: "request") else { throw Problem(reason: notARecord) }
        return try record.requestToken()
    }

    /// The token set and its lease in the bytes of a record file.
    static func decodeTokenSet(_ bytes: [UInt8]) throws(Problem) -> StoredTokenSet {
        guard let record = decode(bytes, kind: "tokenset") else { throw Problem(reason: notARecord) }
        return try record.storedTokenSet()
    }

    static let notARecord = "the file is not a token record of this store (damaged or foreign)"

    /// The access token this record holds.
    ///
    /// - Throws: ``Problem`` when a field is missing or a date is outside
    ///   `TokenTimestamp.range`.
    func accessToken() throws(Problem) -> AccessToken {
        guard kind == "access" else { throw Problem(reason: "the record is not an access token") }
        return AccessToken(
            provider: try Self.required(provider, "provider"), userID: try Self.required(userID, "userID"),
            token: try Self.required(token, "token"), secret: try Self.required(secret, "secret"),
            screenName: screenName, accessType: accessType,
            createdAt: try Self.date(createdAt, "createdAt"),
            updatedAt: try Self.date(try Self.required(updatedAt, "updatedAt"), "updatedAt"),
            metadata: metadata)
    }

    /// The request token this record holds.
    ///
    /// - Throws: ``Problem`` when a field is missing or a date is outside
    ///   `TokenTimestamp.range`.
    func requestToken() throws(Problem) -> RequestToken {
        guard kind == "request" else { throw Problem(reason: "the record is not a request token") }
        return RequestToken(
            provider: try Self.required(provider, "provider"), token: try Self.required(token, "token"),
            secret: try Self.required(secret, "secret"),
            context: RequestTokenContext(
                callbackURL: callbackURL, returnTo: returnTo, sessionBinding: sessionBinding, metadata: metadata),
            createdAt: try Self.date(createdAt, "createdAt"),
            expiresAt: try Self.date(try Self.required(expiresAt, "expiresAt"), "expiresAt"))
    }

    /// The token set and lease this record holds.
    ///
    /// - Throws: ``Problem`` when a field is missing, a date is outside
    ///   `TokenTimestamp.range`, the version is not a positive count, or a lease is half
    ///   there.
    func storedTokenSet() throws(Problem) -> StoredTokenSet {
        guard kind == "tokenset" else { throw Problem(reason: "the record is not a token set") }
        let version = try Self.required(version, "version")
        // Below Int64.max so that counting it up can never overflow.
        guard version >= 1, version < Int64.max else { throw Problem(reason: "the record's version \(version) is out of range") }
        let lease: StoredTokenSet.Lease?
        switch (leaseOwner, leaseExpiresAt) {
        case (nil, nil): lease = nil
        case (let owner?, let expiresAt?): lease = StoredTokenSet.Lease(owner: owner, expiresAt: expiresAt)
        default: throw Problem(reason: "the record has only one of leaseOwner and leaseExpiresAt")
        }
        let tokenSet = OAuth2TokenSet(
            provider: try Self.required(provider, "provider"), userID: try Self.required(userID, "userID"),
            accessToken: try Self.required(token, "token"), tokenType: try Self.required(tokenType, "tokenType"),
            expiresAt: try expiresAt.map { milliseconds throws(Problem) in try Self.date(milliseconds, "expiresAt") },
            refreshToken: refreshToken, scope: scope, idToken: idToken, screenName: screenName, metadata: metadata,
            createdAt: try Self.date(createdAt, "createdAt"),
            updatedAt: try Self.date(try Self.required(updatedAt, "updatedAt"), "updatedAt"),
            invalidatedAt: try invalidatedAt.map { milliseconds throws(Problem) in try Self.date(milliseconds, "invalidatedAt") },
            version: version)
        return StoredTokenSet(tokenSet: tokenSet, lease: lease)
    }

    private static func required<Value>(_ value: Value?, _ field: String) throws(Problem) -> Value {
        guard let value else { throw Problem(reason: "the record has no \(field)") }
        return value
    }

    private static func date(_ milliseconds: Int64, _ field: String) throws(Problem) -> Date {
        guard let date = TokenTimestamp.date(storedMilliseconds: milliseconds) else {
            throw Problem(reason: TokenTimestamp.outOfRangeProblem(field: field, value: milliseconds))
        }
        return date
    }
}

/// A token set as its record holds it: the set and its refresh lease, which live and die
/// together (a delete removes both) but only the store reads the lease.
struct StoredTokenSet {
    /// A refresh lease: who holds it and until when, in milliseconds by the store's clock.
    struct Lease {
        var owner: String
        var expiresAt: Int64
    }

    var tokenSet: OAuth2TokenSet
    var lease: Lease?
}

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
        out.reserveCapacity(
            256 + (record.secret?.utf8.count ?? 0) + (record.token?.utf8.count ?? 0)
                + (record.refreshToken?.utf8.count ?? 0) + (record.idToken?.utf8.count ?? 0))
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
        string("tokenType", record.tokenType)
        string("refreshToken", record.refreshToken)
        string("scope", record.scope)
        string("idToken", record.idToken)
        integer("invalidatedAt", record.invalidatedAt)
        integer("version", record.version)
        string("leaseOwner", record.leaseOwner)
        integer("leaseExpiresAt", record.leaseExpiresAt)
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
                case "tokenType": guard let value = optionalString() else { return nil }; record.tokenType = value
                case "refreshToken": guard let value = optionalString() else { return nil }; record.refreshToken = value
                case "scope": guard let value = optionalString() else { return nil }; record.scope = value
                case "idToken": guard let value = optionalString() else { return nil }; record.idToken = value
                case "invalidatedAt": guard let value = optionalInteger() else { return nil }; record.invalidatedAt = value
                case "version": guard let value = optionalInteger() else { return nil }; record.version = value
                case "leaseOwner": guard let value = optionalString() else { return nil }; record.leaseOwner = value
                case "leaseExpiresAt": guard let value = optionalInteger() else { return nil }; record.leaseExpiresAt = value
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
