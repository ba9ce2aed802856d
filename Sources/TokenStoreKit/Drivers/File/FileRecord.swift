import Foundation

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

    static let notARecord = "the file is not a token record of this store (damaged or foreign)"

    /// The access token this record holds.
    ///
    /// - Throws: ``Problem`` when a field is missing or a date is outside
    ///   ``TokenTimestamp/range``.
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
    ///   ``TokenTimestamp/range``.
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
