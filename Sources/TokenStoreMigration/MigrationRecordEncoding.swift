import Foundation
import TokenStoreKit

/// The canonical byte encoding of every field of a token, for digests and comparison: a
/// kind tag, then each field length-prefixed (4 bytes, big-endian), optionals with a
/// presence byte, dates as whole milliseconds, metadata sorted by key in UTF-8 order.
///
/// A token set's `version` is left out: each store assigns its own on every write, so a
/// faithful copy has version 1 where the source may have 7.
enum MigrationRecordEncoding {
    static func encode(_ token: AccessToken) -> [UInt8] {
        var bytes: [UInt8] = [0x41]
        for field in [token.provider, token.userID, token.token, token.secret] { append(field, to: &bytes) }
        append(optional: token.screenName, to: &bytes)
        append(optional: token.accessType, to: &bytes)
        append(TokenTimestamp.milliseconds(token.createdAt), to: &bytes)
        append(TokenTimestamp.milliseconds(token.updatedAt), to: &bytes)
        append(token.metadata, to: &bytes)
        return bytes
    }

    static func encode(_ token: RequestToken) -> [UInt8] {
        var bytes: [UInt8] = [0x52]
        for field in [token.provider, token.token, token.secret] { append(field, to: &bytes) }
        append(optional: token.context.callbackURL, to: &bytes)
        append(optional: token.context.returnTo, to: &bytes)
        append(optional: token.context.sessionBinding, to: &bytes)
        append(token.context.metadata, to: &bytes)
        append(TokenTimestamp.milliseconds(token.createdAt), to: &bytes)
        append(TokenTimestamp.milliseconds(token.expiresAt), to: &bytes)
        return bytes
    }

    static func encode(_ tokenSet: OAuth2TokenSet) -> [UInt8] {
        var bytes: [UInt8] = [0x4F]
        for field in [tokenSet.provider, tokenSet.userID, tokenSet.accessToken, tokenSet.tokenType] {
            append(field, to: &bytes)
        }
        append(optional: tokenSet.expiresAt, to: &bytes)
        append(optional: tokenSet.refreshToken, to: &bytes)
        append(optional: tokenSet.scope, to: &bytes)
        append(optional: tokenSet.idToken, to: &bytes)
        append(optional: tokenSet.screenName, to: &bytes)
        append(tokenSet.metadata, to: &bytes)
        append(TokenTimestamp.milliseconds(tokenSet.createdAt), to: &bytes)
        append(TokenTimestamp.milliseconds(tokenSet.updatedAt), to: &bytes)
        append(optional: tokenSet.invalidatedAt, to: &bytes)
        return bytes
    }

    private static func append(optional date: Date?, to bytes: inout [UInt8]) {
        guard let date else {
            bytes.append(0)
            return
        }
        bytes.append(1)
        append(TokenTimestamp.milliseconds(date), to: &bytes)
    }

    private static func append(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        let count = UInt32(truncatingIfNeeded: utf8.count)
        bytes += [UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
        bytes += utf8
    }

    private static func append(optional text: String?, to bytes: inout [UInt8]) {
        guard let text else {
            bytes.append(0)
            return
        }
        bytes.append(1)
        append(text, to: &bytes)
    }

    private static func append(_ value: Int64, to bytes: inout [UInt8]) {
        let bits = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((bits >> UInt64(shift)) & 0xFF)) }
    }

    private static func append(_ metadata: [String: String], to bytes: inout [UInt8]) {
        append(String(metadata.count), to: &bytes)
        for key in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            append(key, to: &bytes)
            append(metadata[key] ?? "", to: &bytes)
        }
    }
}
