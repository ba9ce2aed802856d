import Logging
import Synchronization
import TokenStoreIO
import TokenStoreKit

/// Which node serves which slot of a Redis Cluster (`redis+cluster://`), and the nodes.
///
/// The slot map comes from `CLUSTER SLOTS` (Redis 3+), read from a seed at open and again
/// after a `MOVED` redirect or a failed node (at most every ``refreshInterval``, from any
/// reachable node or seed), so calls follow a resharding or a failover. A server with
/// cluster support disabled is used as a single server: every call goes to it.
final class RedisClusterRouter: Sendable {
    private struct State {
        /// The node serving each slot; empty until the map was read.
        var slots: [RedisNode?] = []
        /// Every node ever used, by address: a node comes back into the map with its pool.
        var nodes: [RedisTokenStore.Endpoint: RedisNode] = [:]
        /// Cluster support disabled on the server: every call goes to this node.
        var single: RedisNode?
        /// The map read in progress, shared by every caller that needs it.
        var refresh: Task<Void, any Error>?
        var lastRefresh: ContinuousClock.Instant?
        /// Nodes whose calls failed on their connection since the map was last read: asked
        /// last, so a dead node's connect timeout does not delay the read.
        var suspects: Set<RedisTokenStore.Endpoint> = []
        /// Nodes whose pool ``RedisTokenStore/run()`` maintains.
        var running: Set<RedisTokenStore.Endpoint> = []
    }

    private let state: Mutex<State>
    private let configuration: RedisTokenStore.Configuration
    private let store: String
    private let logger: Logger

    /// The shortest time between two reads of the map after failures or redirects.
    static let refreshInterval: Duration = .milliseconds(100)

    /// A router for `configuration`'s seeds; `home`, the first seed's node, is reused.
    init(configuration: RedisTokenStore.Configuration, store: String, home: RedisNode) {
        self.configuration = configuration
        self.store = store
        self.logger = configuration.logger
        state = Mutex(State(nodes: [home.endpoint: home]))
    }

    /// The node serving `slot` (any primary for `nil`), reading the map first if need be.
    func node(for slot: UInt16?, operation: String) async throws -> RedisNode {
        if let node = lookup(slot) { return node }
        try await refresh(operation: operation)
        if let node = lookup(slot) { return node }
        throw TokenStoreError(
            .unavailable, store: store, operation: operation,
            message: "no node of the cluster serves slot \(slot.map(String.init) ?? "(any)") (the slot map leaves it out)")
    }

    /// The node serving `slot` by the map as read, `nil` before the map was read (then
    /// ``node(for:operation:)`` reads it). Not async: the common case costs one lock.
    func servingNode(for slot: UInt16) -> RedisNode? { lookup(slot) }

    private func lookup(_ slot: UInt16?) -> RedisNode? {
        state.withLock { state in
            if let single = state.single { return single }
            guard !state.slots.isEmpty else { return nil }
            if let slot { return state.slots[Int(slot)] }
            return state.slots.first(where: { $0 != nil }) ?? nil
        }
    }

    /// The node at `endpoint`, made on first use.
    func node(at endpoint: RedisTokenStore.Endpoint) -> RedisNode {
        state.withLock { Self.node(at: endpoint, in: &$0, configuration, store) }
    }

    private static func node(
        at endpoint: RedisTokenStore.Endpoint, in state: inout State, _ configuration: RedisTokenStore.Configuration, _ store: String
    ) -> RedisNode {
        if let node = state.nodes[endpoint] { return node }
        let node = RedisNode(endpoint: endpoint, configuration: configuration, store: store)
        state.nodes[endpoint] = node
        return node
    }

    /// Every node made so far (their pools are the store's).
    var nodes: [RedisNode] { state.withLock { Array($0.nodes.values) } }

    /// Nodes ``RedisTokenStore/run()`` has not yet started maintaining; marks them started.
    func nodesToRun() -> [RedisNode] {
        state.withLock { state in
            let fresh = state.nodes.values.filter { !state.running.contains($0.endpoint) }
            for node in fresh { state.running.insert(node.endpoint) }
            return fresh
        }
    }

    /// `MOVED slot host:port`: the slot is the target's from now on; the rest of the map is
    /// read again soon (a `MOVED` usually means more slots moved).
    func moved(_ slot: UInt16, to endpoint: RedisTokenStore.Endpoint) -> RedisNode {
        let node = state.withLock { state in
            let node = Self.node(at: endpoint, in: &state, configuration, store)
            if !state.slots.isEmpty { state.slots[Int(slot)] = node }
            return node
        }
        scheduleRefresh()
        return node
    }

    /// A call to `node` failed on its connection (refused, reset, timed out): the node may
    /// be down and its replica about to take over, so the map is read again soon.
    func nodeFailed(_ node: RedisNode) {
        logger.debug("redis cluster node failed; reading the slot map again", metadata: ["store": "\(store)", "node": "\(node.endpoint)"])
        state.withLock { _ = $0.suspects.insert(node.endpoint) }
        scheduleRefresh()
    }

    /// Starts a read of the map unless one runs or one ended less than
    /// ``refreshInterval`` ago.
    func scheduleRefresh() {
        state.withLock { state in
            if state.single != nil || state.refresh != nil { return }
            if let last = state.lastRefresh, ContinuousClock.now - last < Self.refreshInterval { return }
            state.refresh = Task { try await self.readMap(operation: "refreshSlots") }
        }
    }

    /// Reads the map unless one ended less than ``refreshInterval`` ago (joining a read in
    /// progress): many calls failing at once cause one read, not one each.
    func refreshUnlessFresh(operation: String) async throws {
        let fresh = state.withLock { state in
            state.refresh == nil && state.lastRefresh.map { ContinuousClock.now - $0 < Self.refreshInterval } ?? false
        }
        if !fresh { try await refresh(operation: operation) }
    }

    /// Reads the map now (joining a read in progress).
    func refresh(operation: String) async throws {
        let task = state.withLock { state in
            if let task = state.refresh { return task }
            let task = Task { try await self.readMap(operation: operation) }
            state.refresh = task
            return task
        }
        try await task.value
    }

    /// Asks the known primaries, then the seeds, for `CLUSTER SLOTS`; the first answer
    /// wins. Always clears ``State/refresh``.
    private func readMap(operation: String) async throws {
        defer {
            state.withLock {
                $0.refresh = nil
                $0.lastRefresh = .now
            }
        }
        let (primaries, suspects) = state.withLock { state in
            var seen = Set<RedisTokenStore.Endpoint>()
            return (state.slots.compactMap { $0?.endpoint }.filter { seen.insert($0).inserted }, state.suspects)
        }
        var known = primaries
        for seed in configuration.seedList where !known.contains(seed) { known.append(seed) }
        let candidates = known.filter { !suspects.contains($0) } + known.filter { suspects.contains($0) }
        var lastError: (any Error)?
        for endpoint in candidates {
            do {
                if try await readMap(from: endpoint, operation: operation) { return }
            } catch let error as TokenStoreError where error.code == .unavailable || error.code == .timedOut {
                lastError = error
            }
        }
        throw lastError ?? TokenStoreError(.unavailable, store: store, operation: operation, message: "no seed node of the cluster answered")
    }

    /// One node's `CLUSTER SLOTS`, applied; `false` when its answer has no slots (a node
    /// that left the cluster, or one not yet part of it).
    private func readMap(from endpoint: RedisTokenStore.Endpoint, operation: String) async throws -> Bool {
        var nodeConfiguration = configuration
        nodeConfiguration.endpoint = endpoint
        let connection = try await HiredisConnection.connect(nodeConfiguration, store: store)
        defer { connection.closeNow() }
        let reply = try await connection.command { out in
            out.command(2)
            out.argument("CLUSTER")
            out.argument("SLOTS")
        }
        if let message = reply.errorMessage {
            if message.lowercased().contains("cluster support disabled") {
                let node = self.node(at: endpoint)
                state.withLock { $0.single = node }
                logger.notice(
                    "redis+cluster:// names a server with cluster support disabled; using it as a single server",
                    metadata: ["store": "\(store)", "node": "\(endpoint)"])
                return true
            }
            var error = RedisErrorMapping.error(message, store: store, operation: operation)
            if error.code == .internal { error.code = .misconfigured }
            throw error
        }
        guard case .tcp(let host, _) = endpoint, let map = RedisClusterMap(slotsReply: reply, askedHost: host) else {
            throw TokenStoreError(.internal, store: store, operation: operation, message: "CLUSTER SLOTS answered in an unexpected shape (\(endpoint))")
        }
        guard !map.ranges.isEmpty else { return false }
        apply(map)
        return true
    }

    private func apply(_ map: RedisClusterMap) {
        let retired = state.withLock { state in
            var slots = [RedisNode?](repeating: nil, count: RedisSlot.count)
            for range in map.ranges {
                let node = Self.node(at: range.primary, in: &state, configuration, store)
                for slot in range.slots { slots[slot] = node }
            }
            state.slots = slots
            state.suspects = []
            // A node that serves no slot any more (failed over, or resharded empty) is
            // dropped with its pooled connections; it comes back as a new node if need be.
            let serving = Set(map.ranges.map(\.primary))
            let retired = state.nodes.values.filter { !serving.contains($0.endpoint) }
            for node in retired {
                state.nodes[node.endpoint] = nil
                state.running.remove(node.endpoint)
            }
            return retired
        }
        for node in retired {
            logger.debug("redis cluster node left the slot map; closing its connections", metadata: ["store": "\(store)", "node": "\(node.endpoint)"])
            Task { await node.pool.shutdown() }
        }
        logger.debug(
            "redis cluster slot map read",
            metadata: ["store": "\(store)", "primaries": "\(Set(map.ranges.map(\.primary)).count)", "ranges": "\(map.ranges.count)"])
    }
}
