import Foundation

/// The JSON of one record file. Dates are whole milliseconds since 1970. `format` and
/// `kind` let the store tell its records from foreign JSON.
struct FileRecord: Codable {
    static let formatName = "tokenstore-file-1"

    var format: String
    var kind: String
    var provider: String
    var userID: String?
    var token: String
    var secret: String
    var screenName: String?
    var accessType: String?
    var callbackURL: String?
    var returnTo: String?
    var sessionBinding: String?
    var metadata: [String: String]
    var createdAt: Int64
    var updatedAt: Int64?
    var expiresAt: Int64?

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

    func encoded() throws -> [UInt8] {
        Array(try JSONEncoder().encode(self))
    }

    /// Decodes `bytes` as a record of `kind`, or `nil` when they are not one.
    static func decode(_ bytes: [UInt8], kind: String) -> FileRecord? {
        guard let record = try? JSONDecoder().decode(FileRecord.self, from: Data(bytes)),
            record.format == formatName, record.kind == kind
        else { return nil }
        return record
    }

    var accessToken: AccessToken? {
        guard kind == "access", let userID, let updatedAt else { return nil }
        return AccessToken(
            provider: provider, userID: userID, token: token, secret: secret, screenName: screenName,
            accessType: accessType, createdAt: Date(milliseconds: createdAt), updatedAt: Date(milliseconds: updatedAt),
            metadata: metadata)
    }

    var requestToken: RequestToken? {
        guard kind == "request", let expiresAt else { return nil }
        return RequestToken(
            provider: provider, token: token, secret: secret,
            context: RequestTokenContext(
                callbackURL: callbackURL, returnTo: returnTo, sessionBinding: sessionBinding, metadata: metadata),
            createdAt: Date(milliseconds: createdAt), expiresAt: Date(milliseconds: expiresAt))
    }
}
