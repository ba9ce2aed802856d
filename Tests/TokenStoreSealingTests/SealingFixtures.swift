import Foundation
import TokenStoreKit
import TokenStoreSealing

/// Keys and tokens shared by the sealing tests.
enum SealingFixtures {
    /// A key whose material is derived from its id, so two rings with the same id agree.
    static func key(_ id: String, salt: UInt8 = 0) throws -> SealingKey {
        let seed = id.utf8.reduce(salt) { $0 &+ $1 }
        return try SealingKey(id: id, material: (0..<32).map { UInt8(truncatingIfNeeded: Int(seed) &* 31 &+ $0) })
    }

    static func ring(_ ids: String...) throws -> SealingKeyRing {
        try SealingKeyRing(keys: ids.map { try key($0) })
    }

    static func accessToken(provider: String = "twitter", userID: String = "u1", secret: String) -> AccessToken {
        AccessToken(
            provider: provider, userID: userID, token: "tok-\(userID)", secret: secret,
            createdAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    static func requestToken(token: String = "rt1", secret: String) -> RequestToken {
        RequestToken(
            provider: "twitter", token: token, secret: secret, createdAt: Date(),
            timeToLive: .seconds(600))
    }
}
