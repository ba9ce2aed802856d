import TokenStoreFile
import TokenStoreKit
import TokenStorePostgres
import TokenStoreRedis
import TokenStoreSQLite

/// The drivers `tokenstore` knows, registered once so every `--store URL` accepts any of
/// their schemes (`memory:`, `file:`, `sqlite:`, `postgres:`, `postgresql:`, `redis:`).
enum StoreDrivers {
    /// Registers the file, SQLite, PostgreSQL and Redis drivers with `registry` (the memory
    /// driver is built in). Registering twice is harmless.
    static func registerAll(in registry: TokenStoreRegistry = .shared) {
        registry.register(FileTokenStore.driver)
        registry.register(SQLiteTokenStore.driver)
        registry.register(PostgresTokenStore.driver)
        registry.register(RedisTokenStore.driver)
    }

    /// Registers every driver and opens the store `url` names.
    ///
    /// - Throws: ``TokenStoreError`` from the registry or the driver (an unknown scheme's
    ///   message lists the registered ones).
    static func open(_ url: String, options: TokenStoreOptions = TokenStoreOptions()) async throws
        -> any TokenStore
    {
        registerAll()
        return try await TokenStoreRegistry.shared.open(url, options: options)
    }
}
