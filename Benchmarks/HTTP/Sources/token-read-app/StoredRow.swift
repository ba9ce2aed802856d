import Foundation
import TokenStoreKit

/// Builds an `AccessToken` from the columns of `access_tokens`, as an app using
/// postgres-nio or sqlite-nio directly would: the same decoding work the drivers do.
enum StoredRow {
    /// The columns both direct modes select, in this order.
    static let columns = "token, secret, screen_name, access_type, metadata, created_at, updated_at"

    static func accessToken(
        userID: String, token: String, secret: String, screenName: String?, accessType: String?,
        metadata: String?, createdAt: Int64, updatedAt: Int64
    ) throws -> AccessToken {
        var fields: [String: String] = [:]
        if let metadata, metadata != "{}" {
            fields = try JSONDecoder().decode([String: String].self, from: Data(metadata.utf8))
        }
        return AccessToken(
            provider: BenchUsers.provider, userID: userID, token: token, secret: secret, screenName: screenName,
            accessType: accessType, createdAt: date(milliseconds: createdAt), updatedAt: date(milliseconds: updatedAt),
            metadata: fields)
    }

    private static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
