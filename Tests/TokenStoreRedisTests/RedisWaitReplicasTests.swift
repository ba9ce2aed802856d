import Foundation
import Testing
import TokenStoreKit
@testable import TokenStoreRedis

/// `wait_replicas`: write calls end with `WAIT` and fail `timedOut` when too few replicas
/// acknowledged; reads never wait. Against the single test server (no replicas) and the
/// test cluster (one replica per primary).
@Suite("Redis wait for replicas", .serverTimeLimit)
struct RedisWaitReplicasTests {
    typealias Configuration = RedisTokenStore.Configuration
    typealias Env = RedisTestEnvironment
    typealias Cluster = RedisClusterEnvironment
    typealias Operations = RedisServerTests.Operations

    // MARK: Configuration

    @Test func urlParametersAndDescription() throws {
        let off = try Configuration(url: "redis://127.0.0.1:6379/0")
        #expect(off.waitReplicas == 0 && off.waitReplicasTimeout == .seconds(1))
        #expect(!off.description.contains("wait_replicas"))
        let on = try Configuration(url: "redis+cluster://h1:7000,h2:7001/0?wait_replicas=2&wait_replicas_timeout=250ms")
        #expect(on.waitReplicas == 2 && on.waitReplicasTimeout == .milliseconds(250))
        #expect(on.description == "redis+cluster://h1:7000,h2:7001/0?wait_replicas=2&wait_replicas_timeout=250ms")
        let seconds = try Configuration(url: "redis://h/0?wait_replicas=1&wait_replicas_timeout=0.5")
        #expect(seconds.waitReplicasTimeout == .milliseconds(500))
        #expect(seconds.waitReplicasMilliseconds == 500)
        var fraction = seconds
        fraction.waitReplicasTimeout = .microseconds(1500)
        #expect(fraction.waitReplicasMilliseconds == 2)
    }

    @Test(arguments: [
        ("wait_replicas=17", "wait_replicas must be between 0 and 16"),
        ("wait_replicas=-1", "wait_replicas must be between 0 and 16"),
        ("wait_replicas=one", "wait_replicas must be an integer"),
        ("wait_replicas=1&wait_replicas_timeout=0", "wait_replicas_timeout"),
        ("wait_replicas=1&wait_replicas_timeout=5s", "shorter than operation_timeout"),
        ("wait_replicas=1&wait_replicas_timeout=2&operation_timeout=1", "shorter than operation_timeout"),
    ])
    func badValuesAreMisconfigured(query: String, says: String) {
        do {
            _ = try Configuration(url: "redis://:pw1secret@127.0.0.1:6379/0?" + query)
            Issue.record("\(query) was accepted")
        } catch {
            #expect(error.code == .misconfigured)
            #expect(error.message.contains(says), "\(error.message)")
            #expect(!error.message.contains("pw1secret"))
        }
    }

    @Test func configuredInSwift() throws {
        var configuration = Configuration(endpoint: .tcp(host: "127.0.0.1", port: 6379))
        configuration.waitReplicas = 1
        configuration.waitReplicasTimeout = .zero
        #expect(throws: TokenStoreError.self) { try configuration.validate() }
        configuration.waitReplicasTimeout = .milliseconds(100)
        try configuration.validate()
        #expect(configuration.description.hasSuffix("?wait_replicas=1&wait_replicas_timeout=100ms"))
    }

    /// A `WAIT` after a redirected write was answered by a node that did not run the
    /// write: it is sent again, after the write, where the write goes, and the first
    /// node's answer counts for nothing (it ran none of the call).
    @Test func waitStaysAfterARedirectedWrite() {
        var writer = RESPWriter()
        for command in [["MULTI"], ["SET", "{p}:b", "1"], ["EXEC"], ["WAIT", "1", "100"]] {
            writer.command(command.count)
            for argument in command { writer.argument(argument) }
        }
        var call = RedisRoutedCall(request: writer.bytes, commands: 4)
        #expect(call.parts.map(\.commands) == [3, 1])
        #expect(call.parts.map(\.waitsForReplicas) == [false, true])
        call.record(Array("+OK\r\n-MOVED 5 127.0.0.1:7001\r\n-EXECABORT Transaction discarded\r\n:0\r\n".utf8), from: .tcp(host: "127.0.0.1", port: 7000))
        #expect(call.pendingRedirect == .moved(slot: 5, to: .tcp(host: "127.0.0.1", port: 7001)))
        #expect(call.pendingParts.map(\.commands) == [3, 1])
        call.record(Array("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n:1\r\n".utf8), from: .tcp(host: "127.0.0.1", port: 7001))
        #expect(call.pendingRedirect == nil)
        #expect(String(decoding: call.replyBytes, as: UTF8.self) == "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n:1\r\n")
    }

    /// A write split by a redirect runs on two nodes; its `WAIT` ran after the part on the
    /// first and runs again after the redirected part on the second. Each covers only its
    /// node's part, so the call sees the lower count.
    @Test(arguments: [(first: 0, second: 1, seen: 0), (first: 1, second: 0, seen: 0), (first: 1, second: 1, seen: 1)])
    func splitWriteWaitsForReplicasOnEveryNode(first: Int, second: Int, seen: Int) {
        var writer = RESPWriter()
        for command in [["SET", "{p}:a", "1"], ["SET", "{p}:b", "2"], ["WAIT", "1", "100"]] {
            writer.command(command.count)
            for argument in command { writer.argument(argument) }
        }
        var call = RedisRoutedCall(request: writer.bytes, commands: 3)
        #expect(call.parts.map(\.waitsForReplicas) == [false, false, true])
        call.record(Array("+OK\r\n-ASK 5 127.0.0.1:7001\r\n:\(first)\r\n".utf8), from: .tcp(host: "127.0.0.1", port: 7000))
        #expect(call.pendingParts.count == 2, "the redirected part and the WAIT after it")
        call.record(Array("+OK\r\n:\(second)\r\n".utf8), from: .tcp(host: "127.0.0.1", port: 7001))
        #expect(call.pendingRedirect == nil)
        #expect(String(decoding: call.replyBytes, as: UTF8.self) == "+OK\r\n+OK\r\n:\(seen)\r\n")
    }

    // MARK: Single server, no replicas

    /// The write reaches the server and the call says it may not survive: `timedOut`.
    /// Reads do not wait.
    @Test(.enabled(if: Env.serverTestsEnabled, Env.disabledReason))
    func withoutReplicasWritesTimeOutButReachThePrimary() async throws {
        let base = try Env.requireACLURL()
        try await Env.withStore(url: base, extra: "wait_replicas=1&wait_replicas_timeout=20ms") { store, _ async throws in
            let token = Operations.requestToken("wait-save")
            // WAIT gives up after its timeout (the suite's time limit catches one that blocks).
            await expectUnacknowledged(operation: "saveRequestToken") { try await store.saveRequestToken(token) }
            // Reads do not wait: the record is there.
            #expect(try await store.listRequestTokens(after: nil, limit: 10).tokens.map(\.token) == ["wait-save"])
            // A take that is not acknowledged hands nothing out, and the token is used up.
            await expectUnacknowledged(operation: "takeRequestToken") { _ = try await store.takeRequestToken("wait-save") }
            #expect(try await store.listRequestTokens(after: nil, limit: 10).tokens.isEmpty)

            let access = Operations.accessToken("wait", "u1")
            await expectUnacknowledged(operation: "saveAccessToken") { _ = try await store.saveAccessToken(access, policy: .overwrite) }
            #expect(try await store.accessToken(for: access.key)?.secret == access.secret)
            // Bulk load (one WAIT after its chunks) and the script path of a batch.
            let batch = (0..<150).map { Operations.accessToken("wait-bulk", "u\($0)") }
            await expectUnacknowledged(operation: "saveAccessTokens") { _ = try await store.saveAccessTokens(batch, policy: .ifNewer) }
            #expect(try await store.listAccessTokens(after: nil, limit: 200).tokens.count == 151)
            await expectUnacknowledged(operation: "deleteAccessToken") { _ = try await store.deleteAccessToken(for: access.key) }
            #expect(try await store.accessToken(for: access.key) == nil)
        }
    }

    /// Concurrent writes pipelined together share one `WAIT`: without replicas each waits
    /// the whole `wait_replicas_timeout` (1 s), so a `WAIT` per call would hold a pipeline
    /// of k calls k seconds, past the operation timeout (5 s), and its calls would fail on
    /// that timeout instead. Every call reports the unacknowledged write.
    @Test(.enabled(if: Env.serverTestsEnabled, Env.disabledReason))
    func pipelinedWritesShareOneWait() async throws {
        let base = try Env.requireACLURL()
        try await Env.withStore(url: base, extra: "wait_replicas=1&wait_replicas_timeout=1s&operation_timeout=5") { store, _ in
            let carriedBefore = store.followersCarried
            let messages = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<32 {
                    group.addTask {
                        do {
                            try await store.saveRequestToken(Operations.requestToken("shared-wait-\(index)"))
                            return "acknowledged without replicas"
                        } catch let error as TokenStoreError {
                            return "\(error.code): \(error.message)"
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            let carried = store.followersCarried - carriedBefore
            #expect(carried > 0, "no call rode in another's pipeline")
            let unacknowledged = messages.filter { $0.contains("only 0 of 1 replicas acknowledged it within 1000 ms") }
            #expect(unacknowledged.count == 32, "\(Set(messages))")
            #expect(try await store.counts().requestTokens == 32, "every write reached the primary")
        }
    }

    // MARK: Cluster, one replica per primary

    @Test(.enabled(if: Cluster.enabled, Cluster.disabledReason))
    func clusterWritesWaitForTheirReplica() async throws {
        let base = try Cluster.requireClusterURL()
        try await Env.withStore(url: base, extra: "wait_replicas=1&wait_replicas_timeout=2s") { store, _ in
            let token = Operations.requestToken("wait-cluster")
            try await store.saveRequestToken(token)
            #expect(try await store.takeRequestToken("wait-cluster")?.secret == token.secret)
            #expect(try await store.takeRequestToken("wait-cluster") == nil)
            // Concurrent writes, pipelined together, each checked.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<32 {
                    group.addTask {
                        let key = "wait-c\(index)"
                        try await store.saveRequestToken(Operations.requestToken(key))
                        #expect(try await store.takeRequestToken(key)?.token == key)
                    }
                }
                try await group.waitForAll()
            }
            let batch = (0..<300).map { Operations.accessToken("wait-bulk", "u\($0)") }
            #expect(try await store.saveAccessTokens(batch, policy: .overwrite) == batch.count)
            #expect(try await store.deleteAccessToken(for: batch[0].key))
            let set = OAuth2TokenSet(provider: "p", userID: "wait", accessToken: "a", refreshToken: "r", createdAt: Date())
            #expect(try await store.saveTokenSet(set, policy: .overwrite))
            #expect(try await store.acquireRefreshLease(for: set.key, owner: "me", duration: .seconds(5)))
            #expect(try await store.releaseRefreshLease(for: set.key, owner: "me"))
            #expect(try await store.deleteTokenSet(for: set.key))
            _ = try await store.purgeExpiredRequestTokens()
        }
    }

    private func expectUnacknowledged(operation: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("\(operation) returned without replicas")
        } catch let error as TokenStoreError {
            #expect(error.code == .timedOut, "\(error)")
            #expect(error.operation == operation)
            #expect(error.message.contains("reached the primary but only 0 of 1 replicas acknowledged it within 20 ms"), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
