import Foundation
import Testing
import TokenStoreKit
import TokenStoreTesting
@testable import TokenStoreRedis

/// The throwaway Redis Clusters `Scripts/test-servers` starts (Scripts/lib/redis-cluster.sh).
enum RedisClusterEnvironment {
    static var environment: [String: String] { RedisTestEnvironment.environment }

    /// `redis+cluster://tokenstore:PW@127.0.0.1:P1,127.0.0.1:P2/0`: 3 primaries, 3 replicas.
    static var clusterURL: String? { environment["TOKENSTORE_TEST_REDIS_CLUSTER_URL"] }
    /// A second cluster, for the tests that migrate slots and kill primaries.
    static var outageURL: String? { environment["TOKENSTORE_TEST_REDIS_CLUSTER_OUTAGE_URL"] }
    /// The outage cluster's control script (`kill-primary SLOT`, `wait-failover SLOT`, ...).
    static var control: String? { environment["TOKENSTORE_TEST_REDIS_CLUSTER_CONTROL"] }

    /// Cluster suites run when the clusters are configured, and always under CI=true.
    static var enabled: Bool { clusterURL != nil || RedisTestEnvironment.isCI }
    static let disabledReason: Comment =
        "TOKENSTORE_TEST_REDIS_CLUSTER_URL is not set: run under Scripts/test-servers (CI=true makes this a failure)"

    static func requireClusterURL() throws -> String {
        try #require(clusterURL, "TOKENSTORE_TEST_REDIS_CLUSTER_URL is not set; run the tests under Scripts/test-servers")
    }

    static func requireOutageURL() throws -> String {
        try #require(outageURL, "TOKENSTORE_TEST_REDIS_CLUSTER_OUTAGE_URL is not set; run the tests under Scripts/test-servers")
    }

    /// Runs `control command argument`; its exit status and what it printed.
    @discardableResult
    static func runControl(_ command: String, _ argument: String) async throws -> (status: Int32, output: String) {
        let script = try #require(control, "TOKENSTORE_TEST_REDIS_CLUSTER_CONTROL is not set; run the tests under Scripts/test-servers")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-control-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let child = try SpawnedProcess.spawn(script, [command, argument], standardOutput: output)
        let status = await child.wait().status
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (status, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// One line of `CLUSTER NODES`.
    struct Node {
        var id: String
        var endpoint: RedisTokenStore.Endpoint
        var isPrimary: Bool
        var failed: Bool
    }

    /// The nodes as the node serving `slot` sees them.
    static func nodes(_ store: RedisTokenStore, from endpoint: RedisTokenStore.Endpoint) async throws -> [Node] {
        let reply = try await store.rawCommand(at: endpoint, bytes: [Array("CLUSTER".utf8), Array("NODES".utf8)])
        guard case .bulk(let bytes) = reply else { throw Failure("CLUSTER NODES answered \(reply)") }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 8 else { return nil }
            let address = fields[1].split(separator: "@")[0]
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
            return Node(
                id: String(fields[0]), endpoint: .tcp(host: String(address[..<colon]), port: port),
                isPrimary: fields[2].contains("master"), failed: fields[2].contains("fail"))
        }
    }

    /// Moves `slot` with its keys from the node serving it to another primary, by the
    /// `CLUSTER SETSLOT` / `MIGRATE` steps `redis-cli --cluster reshard` takes. `between`
    /// runs once the slot is migrating and its keys moved, before the move is final (the
    /// window in which the source answers `ASK`). Keys move in batches of `batch`, with
    /// `pause` between them (a migration under load). Returns the target.
    @discardableResult
    static func migrate(
        slot: UInt16, in store: RedisTokenStore, password: String, batch: Int = 100, pause: Duration = .zero,
        between: () async throws -> Void = {}
    ) async throws -> RedisTokenStore.Endpoint {
        let source = try await store.clusterNode(for: slot)
        let nodes = try await nodes(store, from: source)
        let sourceNode = try #require(nodes.first { $0.endpoint == source })
        let target = try #require(nodes.first { $0.isPrimary && !$0.failed && $0.endpoint != source })
        func run(_ endpoint: RedisTokenStore.Endpoint, _ arguments: [String], keys: [[UInt8]] = []) async throws -> RedisReply {
            let reply = try await store.rawCommand(at: endpoint, bytes: arguments.map { Array($0.utf8) } + keys)
            if let message = reply.errorMessage { throw Failure("\(arguments.prefix(3)) on \(endpoint): \(message)") }
            return reply
        }
        guard case .tcp(let targetHost, let targetPort) = target.endpoint else { throw Failure("not TCP") }
        _ = try await run(target.endpoint, ["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", sourceNode.id])
        _ = try await run(source, ["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", target.id])
        while true {
            let reply = try await run(source, ["CLUSTER", "GETKEYSINSLOT", "\(slot)", "\(batch)"])
            guard case .array(let items) = reply, !items.isEmpty else { break }
            let keys = items.compactMap { item -> [UInt8]? in if case .bulk(let key) = item { return key } else { return nil } }
            _ = try await run(
                source, ["MIGRATE", targetHost, "\(targetPort)", "", "0", "5000", "AUTH2", "tokenstore", password, "KEYS"], keys: keys)
            if pause > .zero { try await Task.sleep(for: pause) }
        }
        try await between()
        // The target first, then the source, then every other primary, as redis-cli does.
        _ = try await run(target.endpoint, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", target.id])
        _ = try await run(source, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", target.id])
        for node in nodes where node.isPrimary && !node.failed && node.endpoint != source && node.endpoint != target.endpoint {
            _ = try await run(node.endpoint, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", target.id])
        }
        return target.endpoint
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
