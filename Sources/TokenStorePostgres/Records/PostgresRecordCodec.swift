import Foundation
import TokenStoreKit

/// Converts tokens to statement parameters and result rows back to tokens.
enum PostgresRowCodec {
    static func parameters(_ token: RequestToken) -> [String?] {
        [
            token.token, token.provider, token.secret, token.context.callbackURL, token.context.returnTo,
            token.context.sessionBinding, MetadataJSON.encode(token.context.metadata),
            String(TokenTimestamp.milliseconds(token.createdAt)), String(TokenTimestamp.milliseconds(token.expiresAt)),
        ]
    }

    static func parameters(_ token: AccessToken) -> [String?] {
        [
            token.provider, token.userID, token.token, token.secret, token.screenName, token.accessType,
            MetadataJSON.encode(token.metadata), String(TokenTimestamp.milliseconds(token.createdAt)),
            String(TokenTimestamp.milliseconds(token.updatedAt)),
        ]
    }

    /// Decodes a row of ``PostgresStatements/requestColumns``; `nil` when it is malformed.
    static func requestToken(_ row: LibPQRow) -> RequestToken? {
        guard row.count == 9, let token = row[0], let provider = row[1], let secret = row[2],
            let metadata = row[6].flatMap(MetadataJSON.decode), let created = row[7].flatMap(storedDate),
            let expires = row[8].flatMap(storedDate)
        else { return nil }
        return RequestToken(
            provider: provider, token: token, secret: secret,
            context: RequestTokenContext(callbackURL: row[3], returnTo: row[4], sessionBinding: row[5], metadata: metadata),
            createdAt: created, expiresAt: expires)
    }

    /// Decodes a row of ``PostgresStatements/accessColumns``; `nil` when it is malformed.
    static func accessToken(_ row: LibPQRow) -> AccessToken? {
        guard row.count == 9, let provider = row[0], let userID = row[1], let token = row[2], let secret = row[3],
            let metadata = row[6].flatMap(MetadataJSON.decode), let created = row[7].flatMap(storedDate),
            let updated = row[8].flatMap(storedDate)
        else { return nil }
        return AccessToken(
            provider: provider, userID: userID, token: token, secret: secret, screenName: row[4], accessType: row[5],
            createdAt: created, updatedAt: updated, metadata: metadata)
    }

    /// A stored millisecond column as a date; `nil` (a malformed row) when it is not an
    /// integer or is outside ``TokenTimestamp/range``, which no store writes.
    private static func storedDate(_ text: String) -> Date? {
        Int64(text).flatMap(TokenTimestamp.date(storedMilliseconds:))
    }

    /// Whether `text` holds a NUL; a byte scan (`String.contains` goes through Foundation).
    @inline(__always)
    static func hasNUL(_ text: String) -> Bool {
        text.utf8.contains(0)
    }

    /// Text values PostgreSQL cannot hold (NUL) are refused up front with a clear error.
    static func checkStorable(_ values: [String?], store: String, operation: String) throws {
        for value in values where value.map(hasNUL) == true {
            throw TokenStoreError(
                .invalidArgument, store: store, operation: operation, message: "PostgreSQL text cannot hold the NUL character")
        }
    }
}
