import Foundation
import TokenStoreKit

/// OAuth 2.0 token sets for the migration and re-seal tests: every optional field both
/// set and missing across the sets, keys in two providers.
enum TokenSetFixtures {
    static let base = Date(timeIntervalSince1970: 1_700_000_000)

    /// `count` token sets in key order, as a store lists them.
    static func tokenSets(_ count: Int, refresh: String = "refresh") -> [OAuth2TokenSet] {
        (0..<count).map { tokenSet($0, refresh: refresh) }.sorted { $0.key < $1.key }
    }

    static func tokenSet(_ index: Int, refresh: String = "refresh") -> OAuth2TokenSet {
        let even = index % 2 == 0
        let third = index % 3 == 0
        let expiresAt: Date? = index % 4 == 0 ? nil : base.addingTimeInterval(3600 + Double(index))
        let refreshToken: String? = index % 5 == 0 ? nil : "\(refresh)-\(index)"
        let invalidatedAt: Date? = index == 7 ? base.addingTimeInterval(99) : nil
        let metadata: [String: String] = even ? ["i": "\(index)", "ä": "ö"] : [:]
        return OAuth2TokenSet(
            provider: "g\(index % 2)", userID: String(format: "u%04d", index), accessToken: "access-\(index)",
            tokenType: third ? "bearer" : "Bearer", expiresAt: expiresAt, refreshToken: refreshToken,
            scope: even ? "read write" : nil, idToken: third ? "id-\(index)" : nil,
            screenName: even ? nil : "name\(index)", metadata: metadata, createdAt: base,
            updatedAt: base.addingTimeInterval(Double(index)), invalidatedAt: invalidatedAt)
    }

    /// `tokenSet` with the store-assigned version cleared, for comparing copies.
    static func unversioned(_ tokenSet: OAuth2TokenSet) -> OAuth2TokenSet {
        var copy = tokenSet
        copy.version = 0
        return copy
    }

    /// Every token set of `store`, in key order.
    static func all(_ store: any TokenStore) async throws -> [OAuth2TokenSet] {
        var result: [OAuth2TokenSet] = []
        var cursor: AccessTokenKey?
        repeat {
            let page = try await store.listTokenSets(after: cursor, limit: 100)
            result += page.tokenSets
            cursor = page.nextCursor
        } while cursor != nil
        return result
    }
}
