import TokenStoreKit

extension SQLiteTokenStore {
    /// The driver for `sqlite:` URLs; register it with
    /// `TokenStoreRegistry.shared.register(SQLiteTokenStore.driver)`.
    ///
    /// URLs: `sqlite:///absolute/path/tokens.db`, `sqlite:relative/path.db`,
    /// `sqlite::memory:`, with optional `?busy_timeout_ms=5000&pool_max=4` (see
    /// ``Configuration/init(url:options:)``). A malformed URL throws
    /// `TokenStoreError.Code.misconfigured` naming it.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(
            schemes: ["sqlite"],
            summary: "SQLite database file: sqlite:///path/tokens.db, sqlite:relative.db, sqlite::memory:"
        ) { url, options in
            try await SQLiteTokenStore(url: url, options: options)
        }
    }
}
