// STUB: implemented by the SQLite driver work.
import TokenStoreKit

/// The SQLite driver.
public final class SQLiteTokenStore: Sendable {
    /// The driver for `sqlite:` URLs; register it with `TokenStoreRegistry.shared.register(_:)`.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(schemes: ["sqlite"], summary: "SQLite") { url, _ in
            throw TokenStoreError(.unsupported, store: url, operation: "open", message: "not implemented yet")
        }
    }
}
