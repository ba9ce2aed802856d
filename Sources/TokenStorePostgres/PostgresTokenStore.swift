// STUB: implemented by the Postgres driver work.
import TokenStoreKit

/// The Postgres driver.
public final class PostgresTokenStore: Sendable {
    /// The driver for `postgres", "postgresql:` URLs; register it with `TokenStoreRegistry.shared.register(_:)`.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(schemes: ["postgres", "postgresql"], summary: "Postgres") { url, _ in
            throw TokenStoreError(.unsupported, store: url, operation: "open", message: "not implemented yet")
        }
    }
}
