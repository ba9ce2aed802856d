import Logging
import TokenStoreIO
import TokenStoreKit

/// One Redis server a store talks to: its connection pool (`pool_max` and the other pool
/// settings apply per node) and the coalescer that pipelines concurrent calls to it. A
/// single server is one node; a cluster has one per primary.
final class RedisNode: Sendable {
    let endpoint: RedisTokenStore.Endpoint
    let pool: ConnectionPool<HiredisConnection>
    /// Coalesces concurrent single-round-trip calls to this node into pipelines.
    let coalescer: RedisCoalescer

    /// A node at `endpoint`, connecting with `configuration`'s credentials and timeouts;
    /// nothing is opened until the first call.
    init(endpoint: RedisTokenStore.Endpoint, configuration: RedisTokenStore.Configuration, store name: String) {
        let poolConfiguration = ConnectionPool<HiredisConnection>.Configuration(
            minConnections: configuration.minConnections, maxConnections: configuration.maxConnections,
            idleTimeout: configuration.idleTimeout, acquireTimeout: configuration.acquireTimeout, metricsDriver: "redis",
            metricsFactory: configuration.metricsFactory)
        let logger = configuration.logger
        var nodeConfiguration = configuration
        nodeConfiguration.endpoint = endpoint
        self.endpoint = endpoint
        self.coalescer = RedisCoalescer(configuration.isCluster ? .redisClusterNode : .redis)
        self.pool = ConnectionPool<HiredisConnection>(configuration: poolConfiguration, logger: logger) { [nodeConfiguration] in
            do {
                let connection = try await HiredisConnection.connect(nodeConfiguration, store: name)
                logger.debug("redis connection opened", metadata: ["store": "\(name)", "node": "\(endpoint)"])
                return connection
            } catch {
                logger.warning("redis connect failed", metadata: ["store": "\(name)", "node": "\(endpoint)", "error": "\(error)"])
                throw error
            }
        }
    }
}
