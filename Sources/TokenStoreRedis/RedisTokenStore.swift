// STUB: implemented by the Redis driver work.
import TokenStoreKit

/// The Redis driver.
public final class RedisTokenStore: Sendable {
    /// The driver for `redis:` URLs; register it with `TokenStoreRegistry.shared.register(_:)`.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(schemes: ["redis"], summary: "Redis") { url, _ in
            throw TokenStoreError(.unsupported, store: url, operation: "open", message: "not implemented yet")
        }
    }
}
