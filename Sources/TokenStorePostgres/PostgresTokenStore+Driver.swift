import TokenStoreKit

extension PostgresTokenStore {
    /// The driver for `postgres:` and `postgresql:` URLs.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(schemes: ["postgres", "postgresql"], summary: "PostgreSQL through libpq") { url, options in
            try await PostgresTokenStore(url: url, options: options)
        }
    }
}
