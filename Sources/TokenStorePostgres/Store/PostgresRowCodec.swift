import Foundation
import TokenStoreKit

/// Converts tokens to statement parameters and result rows back to tokens.
enum PostgresRowCodec {
    static func parameters(_ token: RequestToken) throws -> [String?] {
        [
            token.token, token.provider, token.secret, token.context.callbackURL, token.context.returnTo,
            token.context.sessionBinding, try metadataJSON(token.context.metadata),
            String(TokenTimestamp.milliseconds(token.createdAt)), String(TokenTimestamp.milliseconds(token.expiresAt)),
        ]
    }

    static func parameters(_ token: AccessToken) throws -> [String?] {
        [
            token.provider, token.userID, token.token, token.secret, token.screenName, token.accessType,
            try metadataJSON(token.metadata), String(TokenTimestamp.milliseconds(token.createdAt)),
            String(TokenTimestamp.milliseconds(token.updatedAt)),
        ]
    }

    /// Decodes a row of ``PostgresStatements/requestColumns``; `nil` when it is malformed.
    static func requestToken(_ row: [String?]) -> RequestToken? {
        guard row.count == 9, let token = row[0], let provider = row[1], let secret = row[2],
            let metadata = row[6].flatMap(metadataDictionary), let created = row[7].flatMap({ Int64($0) }),
            let expires = row[8].flatMap({ Int64($0) })
        else { return nil }
        return RequestToken(
            provider: provider, token: token, secret: secret,
            context: RequestTokenContext(callbackURL: row[3], returnTo: row[4], sessionBinding: row[5], metadata: metadata),
            createdAt: Date(milliseconds: created), expiresAt: Date(milliseconds: expires))
    }

    /// Decodes a row of ``PostgresStatements/accessColumns``; `nil` when it is malformed.
    static func accessToken(_ row: [String?]) -> AccessToken? {
        guard row.count == 9, let provider = row[0], let userID = row[1], let token = row[2], let secret = row[3],
            let metadata = row[6].flatMap(metadataDictionary), let created = row[7].flatMap({ Int64($0) }),
            let updated = row[8].flatMap({ Int64($0) })
        else { return nil }
        return AccessToken(
            provider: provider, userID: userID, token: token, secret: secret, screenName: row[4], accessType: row[5],
            createdAt: Date(milliseconds: created), updatedAt: Date(milliseconds: updated), metadata: metadata)
    }

    // Written by hand rather than with JSONEncoder (a fresh encoder per row dominated the
    // cost of bulk writes) or JSONSerialization (which drops U+FEFF inside strings). Keys
    // sorted by UTF-8 bytes; PostgreSQL's jsonb re-normalizes anyway.
    static func metadataJSON(_ metadata: [String: String]) throws -> String {
        guard !metadata.isEmpty else { return "{}" }
        var json = "{"
        for (index, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { json.append(",") }
            appendJSONString(key, to: &json)
            json.append(":")
            appendJSONString(metadata[key] ?? "", to: &json)
        }
        json.append("}")
        return json
    }

    /// `text` as a JSON string literal: `"` and `\` escaped, control characters as `\u00XX`.
    private static func appendJSONString(_ text: String, to json: inout String) {
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

    static func metadataDictionary(_ json: String) -> [String: String]? {
        // Most tokens carry no metadata, and jsonb prints an empty object as exactly `{}`:
        // skip the decoder (and its allocations) for it.
        if json.utf8.elementsEqual("{}".utf8) { return [:] }
        return try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))
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
