import TokenStoreKit

extension RedisTokenStore {
    /// The driver for `redis:`, `redis+cluster:`, `redis+unix:` and `unix:` URLs; register it with
    /// `TokenStoreRegistry.shared.register(RedisTokenStore.driver)`.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(
            schemes: ["redis", "redis+cluster", "redis+unix", "unix"],
            summary: "Redis 5+ (redis://[user:password@]host:port/db?prefix=..., redis+cluster://host1:port1,host2:port2?prefix=..., redis+unix:///path/redis.sock)"
        ) { url, options in
            try await RedisTokenStore(url: url, options: options)
        }
    }
}
