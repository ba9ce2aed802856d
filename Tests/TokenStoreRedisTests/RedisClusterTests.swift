import Foundation
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreTesting
@testable import TokenStoreRedis

/// The store against a Redis Cluster of 3 primaries and 3 replicas (`redis+cluster://`).
@Suite(
    "Redis cluster", .enabled(if: RedisClusterEnvironment.enabled, RedisClusterEnvironment.disabledReason), .serverTimeLimit)
struct RedisClusterTests {
    typealias Env = RedisTestEnvironment
    typealias Cluster = RedisClusterEnvironment

    /// The whole contract, `take` raced across processes through the same URL.
    @Test(arguments: TokenStoreConformance.caseNames)
    func conformance(case caseName: String) async throws {
        let url = Env.url(try Cluster.requireClusterURL(), prefix: Env.randomPrefix())
        try await TokenStoreConformance(
            name: "redis cluster", capabilities: .init(crossProcessURL: url, refreshRace: false)
        ) { clock in
            try await RedisTokenStore(url: url, options: TokenStoreOptions(clock: clock))
        }.run(case: caseName)
        let cleaner = try await RedisTokenStore(url: url)
        try await Env.removeKeys(prefix: try #require(try? RedisTokenStore.Configuration(url: url).prefix), using: cleaner)
        try await cleaner.close()
    }

    @Test func flowConformance() async throws {
        let url = Env.url(try Cluster.requireClusterURL(), prefix: Env.randomPrefix())
        try await AuthorizationFlowConformance(name: "redis cluster") { clock in
            try await RedisTokenStore(url: url, options: TokenStoreOptions(clock: clock))
        }.run()
    }

    /// `redis+cluster://` against a server with cluster support disabled: a single server.
    @Test func plainRedisRunsAsOneNode() async throws {
        let plain = try Env.requireACLURL()
        let url = plain.replacingOccurrences(of: "redis://", with: "redis+cluster://")
        try await Env.withStore(url: url) { store, _ in
            #expect(store.displayName.hasPrefix("redis+cluster://tokenstore:***@127.0.0.1:"))
            let token = RedisServerTests.Operations.requestToken("single-node")
            try await store.saveRequestToken(token)
            #expect(try await store.takeRequestToken("single-node")?.secret == token.secret)
            #expect(try await store.takeRequestToken("single-node") == nil)
            // The cluster scheme's default: spread over 48 buckets, on one server too.
            #expect(try await store.schemaVersion() == RedisTokenStore.spreadSchemaVersion)
            #expect(store.layout.count == 48)
        }
    }

    /// 30,000 access tokens on 3 primaries: each holds a third of them, within 5 points.
    @Test func tokensSpreadOverEveryPrimary() async throws {
        let base = try Cluster.requireClusterURL()
        try await Env.withStore(url: base) { store, _ in
            let total = 30_000
            for start in stride(from: 0, to: total, by: 1000) {
                let batch = (start..<start + 1000).map { RedisServerTests.Operations.accessToken("spread", "user-\($0)") }
                #expect(try await store.saveAccessTokens(batch, policy: .overwrite) == batch.count)
            }
            var perNode: [String: Int] = [:]
            for bucket in store.layout.buckets {
                let node = try await store.clusterNode(for: bucket.slot)
                let reply = try await store.rawCommand(bytes: [Array("ZCARD".utf8), bucket.accessIndex])
                guard case .integer(let members) = reply else { throw Cluster.Failure("ZCARD answered \(reply)") }
                perNode["\(node)", default: 0] += Int(members)
            }
            #expect(perNode.count == 3, "\(perNode)")
            #expect(perNode.values.reduce(0, +) == total)
            for (node, count) in perNode.sorted(by: { $0.key < $1.key }) {
                let share = Double(count) / Double(total) * 100
                #expect(abs(share - 100.0 / 3) <= 5, "\(node) holds \(share)%")
            }
            print("key spread over the cluster's primaries: " + perNode.sorted { $0.key < $1.key }
                .map { "\($0.key) \(String(format: "%.1f", Double($0.value) / Double(total) * 100))%" }.joined(separator: ", "))
        }
    }
}

/// Slot migrations and a failover on a cluster of their own: serialized, apart from the
/// cluster the conformance suite uses.
@Suite(
    "Redis cluster outages", .serialized,
    .enabled(if: RedisClusterEnvironment.enabled, RedisClusterEnvironment.disabledReason), .serverTimeLimit)
struct RedisClusterOutageTests {
    typealias Env = RedisTestEnvironment
    typealias Cluster = RedisClusterEnvironment

    static func requestToken(_ name: String) -> RequestToken {
        RedisServerTests.Operations.requestToken(name)
    }

    /// 250 access tokens of provider `bulk`, users `name-0` to `name-249`: enough for a
    /// bulk save.
    static func newAccessTokens(_ name: String) -> [AccessToken] {
        (0..<250).map { RedisServerTests.Operations.accessToken("bulk", "\(name)-\($0)") }
    }

    /// While the store's slot migrates, the source answers `ASK` (its keys are gone) and
    /// every call still works through `ASKING`; once the move is final, `MOVED`, and the
    /// map follows.
    @Test func askDuringMigrationMovedAfter() async throws {
        let base = try Cluster.requireOutageURL()
        let password = try #require(Env.password(in: base))
        // One bucket: every key of the store in the one slot that migrates.
        try await Env.withStore(url: base, extra: "buckets=1") { store, _ in
            let slot = store.keys.slot
            for index in 0..<20 { try await store.saveRequestToken(Self.requestToken("mig-\(index)")) }
            _ = try await store.saveAccessToken(RedisServerTests.Operations.accessToken("prov", "u1"), policy: .overwrite)
            let source = try await store.clusterNode(for: slot)
            let pendingSave = PendingCall()
            let target = try await Cluster.migrate(slot: slot, in: store, password: password) {
                // Keys moved, slot still the source's: ASK for every call.
                #expect(try await store.clusterNode(for: slot) == source)
                #expect(try await store.takeRequestToken("mig-0")?.secret == "request-secret-mig-0")
                #expect(try await store.accessToken(for: AccessTokenKey(provider: "prov", userID: "u1"))?.token == "tok-u1")
                #expect(try await store.counts().requestTokens == 19)
                #expect(try await store.clusterNode(for: slot) == source, "ASK leaves the map alone")
                // A new record beside existing index keys: TRYAGAIN until the move is final.
                pendingSave.start { try await store.saveRequestToken(Self.requestToken("mig-new")) }
                try await Task.sleep(for: .milliseconds(100))
            }
            try await pendingSave.finish()
            // Final: the source answers MOVED.
            #expect(try await store.takeRequestToken("mig-1")?.secret == "request-secret-mig-1")
            #expect(try await store.takeRequestToken("mig-new") != nil)
            #expect(try await store.clusterNode(for: slot) == target, "MOVED updates the map")
            #expect(try await store.counts().requestTokens == 18)
            #expect(try await store.takeRequestToken("mig-0") == nil)
        }
    }

    /// A bulk save (new access tokens, written by `WATCH`/`MULTI`/`EXEC` on one connection,
    /// which cannot follow a redirect) whose slot moved goes through the script, which
    /// does: after the move, with the map stale (`MOVED`), and during it (`ASK`, then
    /// `TRYAGAIN` until the move is final). Every token is saved, none twice.
    @Test func bulkSaveFollowsAMovingSlot() async throws {
        let base = try Cluster.requireOutageURL()
        let password = try #require(Env.password(in: base))
        try await Env.withStore(url: base, extra: "buckets=1") { store, _ in
            let slot = store.keys.slot
            let source = try await store.clusterNode(for: slot)
            let target = try await Cluster.migrate(slot: slot, in: store, password: password)
            #expect(try await store.clusterNode(for: slot) == source, "the map is stale")
            let probe = RedisBulkLoadProbe()
            let moved = try await RedisTokenStore.$bulkLoadProbe.withValue(probe) {
                try await store.saveAccessTokens(Self.newAccessTokens("moved"), policy: .overwrite)
            }
            #expect(moved == 250)
            #expect(probe.loaded.load(ordering: .relaxed) == 0 && probe.fallbacks.load(ordering: .relaxed) == 1)
            #expect(try await store.clusterNode(for: slot) == target, "MOVED updates the map")
            let pendingSave = PendingCall()
            try await Cluster.migrate(slot: slot, in: store, password: password) {
                pendingSave.start {
                    let saved = try await store.saveAccessTokens(Self.newAccessTokens("moving"), policy: .overwrite)
                    #expect(saved == 250)
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            try await pendingSave.finish()
            #expect(try await store.counts().accessTokens == 500)
            for name in ["moved-0", "moved-249", "moving-0", "moving-249"] {
                #expect(try await store.accessToken(for: AccessTokenKey(provider: "bulk", userID: name))?.token == "tok-\(name)")
            }
        }
    }

    /// Takes and saves run while the slots of three buckets (one on each primary) move with
    /// their keys in small batches, one after another: nothing is lost, no token is
    /// returned twice.
    @Test func reshardUnderLoad() async throws {
        let base = try Cluster.requireOutageURL()
        let password = try #require(Env.password(in: base))
        try await Env.withStore(url: base) { store, _ in
            let buckets = store.layout.buckets
            let slots = [buckets[0].slot, buckets[buckets.count / 3].slot, buckets[2 * buckets.count / 3].slot]
            let saved = 400
            for index in 0..<saved { try await store.saveRequestToken(Self.requestToken("load-\(index)")) }
            let load = ClusterLoad()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Two takers race for the same tokens; two writers add new ones.
                for _ in 0..<2 {
                    group.addTask {
                        for index in 0..<saved {
                            do {
                                if let token = try await store.takeRequestToken("load-\(index)") {
                                    load.taken.withLock { $0[token.token, default: 0] += 1 }
                                }
                            } catch {
                                load.failures.withLock { $0.append("take: \(error)") }
                            }
                            try await Task.sleep(for: .milliseconds(2))
                        }
                    }
                }
                for writer in 0..<2 {
                    group.addTask {
                        var index = 0
                        while !load.stop.load(ordering: .relaxed) {
                            do {
                                try await store.saveRequestToken(Self.requestToken("new-\(writer)-\(index)"))
                                load.written.add(1, ordering: .relaxed)
                            } catch {
                                load.failures.withLock { $0.append("save: \(error)") }
                            }
                            index += 1
                            try await Task.sleep(for: .milliseconds(2))
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
                for slot in slots {
                    try await Cluster.migrate(slot: slot, in: store, password: password, batch: 10, pause: .milliseconds(5))
                }
                try await Task.sleep(for: .milliseconds(300))
                load.stop.store(true, ordering: .relaxed)
                try await group.waitForAll()
            }
            // Every token a taker missed is still there (a take never fails silently).
            for index in 0..<saved where load.taken.withLock({ $0["load-\(index)"] == nil }) {
                if let token = try await store.takeRequestToken("load-\(index)") { load.taken.withLock { $0[token.token, default: 0] += 1 } }
            }
            let counts = load.taken.withLock { $0 }
            #expect(counts.count == saved, "every saved token was taken once: \(saved - counts.count) lost")
            #expect(counts.values.allSatisfy { $0 == 1 }, "a token was returned twice")
            #expect(load.failures.withLock { $0 }.isEmpty, "\(load.failures.withLock { $0 })")
            let newCount = load.written.load(ordering: .relaxed)
            #expect(try await store.counts().requestTokens == newCount, "every acknowledged save is there")
            print("reshard under load (slots \(slots) moved): \(saved) taken once each, \(newCount) saved meanwhile, \(load.failures.withLock { $0.count }) errors")
        }
    }

    /// SIGKILL the primary serving the store's slot while tasks call it: after its replica
    /// is promoted, calls succeed again within 5 s, with only `unavailable`/`timedOut`
    /// errors meanwhile, and no request token is taken twice.
    @Test func failoverAfterPrimaryIsKilled() async throws {
        let base = try Cluster.requireOutageURL()
        try await Env.withStore(url: base, extra: "operation_timeout=1s&connect_timeout=1s") { store, _ in
            let slot = store.keys.slot
            let saved = 3000
            try await store.saveRequestTokens((0..<saved).map { Self.requestToken("fo-\($0)") })
            let key = AccessTokenKey(provider: "prov", userID: "fo")
            _ = try await store.saveAccessToken(RedisServerTests.Operations.accessToken("prov", "fo"), policy: .overwrite)
            let load = ClusterLoad()
            let clock = ContinuousClock()
            let start = load.start
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<3 {
                    group.addTask {
                        var index = 0
                        while !load.stop.load(ordering: .relaxed) {
                            let name = "fo-\(index % saved)"
                            await load.record {
                                switch worker {
                                case 0, 1:
                                    if let token = try await store.takeRequestToken(name) { load.taken.withLock { $0[token.token, default: 0] += 1 } }
                                default:
                                    try await store.saveRequestToken(Self.requestToken("fo-new-\(index)"))
                                    _ = try await store.accessToken(for: key)
                                }
                            }
                            index += 1
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                let killed = clock.now - start
                let kill = try await Cluster.runControl("kill-primary", "\(slot)")
                #expect(kill.status == 0)
                #expect(try await Cluster.runControl("wait-failover", "\(slot)").status == 0)
                let promoted = clock.now - start
                load.marks.withLock { $0 = (killed, promoted) }
                // Back as a replica of the promoted node, for whatever runs on this cluster next.
                #expect(try await Cluster.runControl("restart", kill.output).status == 0)
                // Run on until calls have succeeded for a while after the promotion.
                while clock.now - start < promoted + .seconds(6) {
                    if load.successes.withLock({ $0.filter { $0 > promoted }.count }) > 50 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                load.stop.store(true, ordering: .relaxed)
                try await group.waitForAll()
            }
            let (killed, promoted) = try #require(load.marks.withLock { $0 })
            let afterPromotion = load.successes.withLock { $0.filter { $0 > promoted } }
            let firstSuccess = try #require(afterPromotion.min(), "no call succeeded after the promotion")
            let recovery = firstSuccess - promoted
            let seen = load.errors.withLock { $0 }
            let kinds = Dictionary(grouping: seen, by: { "\($0.code)" }).mapValues(\.count)
            print(
                "redis cluster failover: killed at \(killed), promoted at \(promoted) (\(promoted - killed) later), first success \(recovery) after; errors: \(kinds)")
            for error in seen.prefix(5) { print("  \(error.at): \(error.code): \(error.message)") }
            #expect(recovery < .seconds(5))
            #expect(seen.allSatisfy { $0.code == .unavailable || $0.code == .timedOut }, "\(seen.map { "\($0.code): \($0.message)" })")
            #expect(seen.allSatisfy { $0.at > killed }, "no error before the kill")
            #expect(load.taken.withLock { $0.values.allSatisfy { $0 == 1 } }, "a request token was taken twice")
        }
    }
}

/// What the load tasks of an outage test record.
final class ClusterLoad: Sendable {
    let start = ContinuousClock.now
    let taken = Mutex<[String: Int]>([:])
    let failures = Mutex<[String]>([])
    let errors = Mutex<[(at: Duration, code: TokenStoreError.Code, message: String)]>([])
    let successes = Mutex<[Duration]>([])
    let stop = Atomic<Bool>(false)
    let written = Atomic<Int>(0)
    /// When the primary was killed and when its replica was promoted.
    let marks = Mutex<(Duration, Duration)?>(nil)

    /// Runs `body`, recording when it succeeded or how it failed.
    func record(_ body: () async throws -> Void) async {
        do {
            try await body()
            successes.withLock { $0.append(ContinuousClock.now - start) }
        } catch let error as TokenStoreError {
            errors.withLock { $0.append((ContinuousClock.now - start, error.code, error.message)) }
        } catch {
            errors.withLock { $0.append((ContinuousClock.now - start, .internal, "\(error)")) }
        }
    }
}

/// A call started in one closure and awaited after it.
final class PendingCall: Sendable {
    private let task = Mutex<Task<Void, any Error>?>(nil)

    func start(_ body: @escaping @Sendable () async throws -> Void) {
        task.withLock { $0 = Task { try await body() } }
    }

    func finish() async throws {
        try await task.withLock { $0 }?.value
    }
}
