import Foundation
import TokenStoreKit

/// The seeded users: ids `user-00001`, `user-00002`, ... at one provider, each with an
/// access token shaped like a real one (40-character token and secret, a screen name).
enum BenchUsers {
    static let provider = "local"
    /// A fixed creation time: reseeding an existing database rewrites the same rows.
    static let seedDate = Date(timeIntervalSince1970: 1_767_225_600)

    static func userID(_ index: Int) -> String {
        let digits = String(index)
        return "user-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    static func token(for userID: String, createdAt: Date) -> AccessToken {
        AccessToken(
            provider: provider, userID: userID,
            token: "tok-" + userID + String(repeating: "t", count: 30),
            secret: "sec-" + userID + String(repeating: "s", count: 30),
            screenName: "screen_" + userID, accessType: "read-write", createdAt: createdAt)
    }

    /// Writes `count` users' tokens in batches of 500 (one bulk save each).
    static func seed(_ store: any TokenStore, count: Int) async throws {
        var index = 1
        while index <= count {
            let last = min(count, index + 499)
            let batch = (index...last).map { token(for: userID($0), createdAt: seedDate) }
            _ = try await store.saveAccessTokens(batch, policy: .overwrite)
            index = last + 1
        }
    }
}
