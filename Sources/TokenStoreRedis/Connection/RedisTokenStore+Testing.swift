import TokenStoreIO
import TokenStoreKit

// Hooks for this package's tests (package access: invisible to users of the product).
extension RedisTokenStore {
    /// Sends one command with the store's pool and returns the raw reply. In a cluster it
    /// goes to the node serving the slot of its second argument (the first key of most
    /// commands; `KEYS {prefix}:*` finds the prefix's node).
    package func rawCommand(_ arguments: [String]) async throws -> RedisReply {
        try await rawCommand(bytes: arguments.map { Array($0.utf8) })
    }

    /// Calls that rode in another call's pipeline so far, on every node.
    package var followersCarried: Int {
        (router?.nodes ?? [home]).reduce(0) { $0 + $1.coalescer.followersCarried }
    }

    /// Keeps one pooled connection lent out while `body` runs.
    package func holdingConnection<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await withConnection("holdingConnection") { _ in try await body() }
    }

    /// Sends one command of raw byte arguments (keys that are not UTF-8: a provider's NUL
    /// is written as NUL 0xFF) with the store's pool and returns the reply; routed as
    /// ``rawCommand(_:)``.
    package func rawCommand(bytes arguments: [[UInt8]]) async throws -> RedisReply {
        let slot = router != nil && arguments.count > 1 ? RedisSlot.of(arguments[1]) : nil
        return try await withConnection("rawCommand", slot: slot) { connection in
            try await Self.send(arguments, on: connection)
        }
    }

    /// Sends one command to the cluster node at `endpoint` (made on first use), whatever
    /// slots it serves: for tests that drive a migration. Outside a cluster, to the server.
    package func rawCommand(at endpoint: Endpoint, bytes arguments: [[UInt8]]) async throws -> RedisReply {
        let node = router?.node(at: endpoint) ?? home
        return try await withConnection(on: node, "rawCommand") { connection in
            try await Self.send(arguments, on: connection)
        }
    }

    /// The node serving `slot` as the store's map says now (reading it first if need be).
    package func clusterNode(for slot: UInt16) async throws -> Endpoint {
        guard let router else { return home.endpoint }
        return try await router.node(for: slot, operation: "clusterNode").endpoint
    }

    private static func send(_ arguments: [[UInt8]], on connection: HiredisConnection) async throws -> RedisReply {
        try await connection.command { out in
            out.command(arguments.count)
            for argument in arguments { out.argument(argument) }
        }
    }
}
