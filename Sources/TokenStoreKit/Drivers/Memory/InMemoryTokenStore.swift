// STUB: implemented by the store-kit work.
/// A store in process memory, for tests and single-process apps (`memory:`).
public final class InMemoryTokenStore: Sendable {
    /// The driver for `memory:` URLs.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(schemes: ["memory"], summary: "in-process memory") { url, _ in
            throw TokenStoreError(.unsupported, store: url, operation: "open", message: "not implemented yet")
        }
    }
}
