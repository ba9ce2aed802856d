import TokenStoreKit

/// The private corner of a store one bench run works in: a provider name and a
/// request-token prefix nobody else uses (random, 64 bits each), so the run never reads,
/// writes or deletes a real token.
struct BenchKeyRange: Sendable {
    /// Every provider name a bench run uses starts with this.
    static let providerPrefix = "tokenstore-bench-"
    /// Every request token a bench run saves starts with this.
    static let requestTokenPrefix = "tokenstore-bench-rt-"

    /// `tokenstore-bench-<16 hex>`.
    let provider: String
    /// `tokenstore-bench-rt-<16 hex>-`; request tokens append a number.
    let requestPrefix: String
    /// The access-token keys `get` and `put` use, `u0` ... `u<n-1>` of ``provider``.
    let keys: [AccessTokenKey]
    /// Random secrets the written tokens carry (a pool, so no random generation is timed).
    let secrets: [String]
    /// Random text that makes the access tokens' `oauth_token` values unique to the run.
    let tokenSalt: String

    /// A fresh range with `keyCount` access-token keys.
    init(keyCount: Int) {
        var system = SystemRandomNumberGenerator()
        let provider = Self.providerPrefix + Self.hex(system.next())
        self.provider = provider
        requestPrefix = Self.requestTokenPrefix + Self.hex(system.next()) + "-"
        keys = (0..<max(1, keyCount)).map { AccessTokenKey(provider: provider, userID: "u\($0)") }
        secrets = (0..<64).map { _ in Self.hex(system.next()) + Self.hex(system.next()) }
        tokenSalt = Self.hex(system.next())
    }

    /// The name of request token number `index`.
    func requestToken(_ index: Int) -> String { requestPrefix + String(index) }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
