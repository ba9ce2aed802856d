import ServiceLifecycle
import TokenStoreIO
import TokenStoreKit

extension PostgresTokenStore: Service {
    /// Keeps `pool_min` connections open and closes idle ones until graceful shutdown or
    /// cancellation, then closes the store.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.pool.run()
        }
        try await close()
    }
}
