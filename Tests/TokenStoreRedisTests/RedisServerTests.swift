import Foundation
import Logging
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreSealing
import TokenStoreTesting
@testable import TokenStoreRedis

/// Every test that talks to the real server, serialized under one parent so the restart
/// test's outage never overlaps another server test.
@Suite(
    "Redis server", .serialized,
    .enabled(if: RedisTestEnvironment.serverTestsEnabled, RedisTestEnvironment.disabledReason), .serverTimeLimit)
struct RedisServerTests {
    typealias Env = RedisTestEnvironment

    // MARK: Conformance

    @Suite("Conformance", .serverTimeLimit) struct Conformance {
        /// - Parameter refreshRace: whether this configuration also runs the 30-second
        ///   cross-process refresh race (one configuration per server is enough).
        func runConformance(
            name: String, baseURL: String, extra: String = "", refreshRace: Bool = false, case caseName: String
        ) async throws {
            let prefix = Env.randomPrefix()
            let url = Env.url(baseURL, prefix: prefix, extra)
            // Worker processes open the same URL, so `take` is raced across processes too.
            try await TokenStoreConformance(
                name: name, capabilities: .init(crossProcessURL: url, refreshRace: refreshRace)
            ) { clock in
                try await RedisTokenStore(url: url, options: TokenStoreOptions(clock: clock))
            }.run(case: caseName)
            let cleaner = try await RedisTokenStore(url: url)
            try await Env.removeKeys(prefix: prefix, using: cleaner)
            try await cleaner.close()
        }

        @Test(arguments: TokenStoreConformance.caseNames)
        func tcpWithACLUser(case caseName: String) async throws {
            try await runConformance(
                name: "redis (ACL user)", baseURL: try Env.requireACLURL(), refreshRace: true, case: caseName)
        }

        @Test(arguments: TokenStoreConformance.caseNames)
        func tcpWithPasswordOnly(case caseName: String) async throws {
            try await runConformance(name: "redis (password)", baseURL: try Env.requirePasswordURL(), case: caseName)
        }

        @Test(arguments: TokenStoreConformance.caseNames)
        func sealed(case caseName: String) async throws {
            let prefix = Env.randomPrefix()
            // With `reply_wait=park`, so each reply wait runs the whole contract (TCP: adaptive).
            let url = Env.url(try Env.requireACLURL(), prefix: prefix, "reply_wait=park")
            let keys = try SealingKeyRing(keys: [SealingKey.generate(id: "k1")])
            try await TokenStoreConformance(name: "redis (sealed, park)") { clock in
                SealedTokenStore(wrapping: try await RedisTokenStore(url: url, options: TokenStoreOptions(clock: clock)), keys: keys)
            }.run(case: caseName)
            let cleaner = try await RedisTokenStore(url: url)
            try await Env.removeKeys(prefix: prefix, using: cleaner)
            try await cleaner.close()
        }

        @Test(arguments: TokenStoreConformance.caseNames)
        func unixSocket(case caseName: String) async throws {
            let path = try Env.requireSocketPath()
            let password = try #require(Env.password(in: try Env.requirePasswordURL()))
            // With `reply_wait=spin`, so the non-default wait runs the whole contract too.
            try await runConformance(
                name: "redis (unix socket, spin)", baseURL: "redis+unix://:\(password)@\(path)?db=0", extra: "reply_wait=spin",
                case: caseName)
        }
    }

    // MARK: Operations

    @Suite("Operations", .serverTimeLimit) struct Operations {
        static func requestToken(_ name: String, clock: TokenClock = .system, ttl: Double = 600) -> RequestToken {
            let now = clock.now()
            return RequestToken(
                provider: "prov", token: name, secret: "request-secret-\(name)",
                context: RequestTokenContext(callbackURL: "https://app/cb", metadata: ["k": "v"]),
                createdAt: now, expiresAt: now.addingTimeInterval(ttl))
        }

        static func accessToken(_ provider: String, _ user: String, updated: Int64 = 2000, secret: String = "access-secret") -> AccessToken {
            AccessToken(
                provider: provider, userID: user, token: "tok-\(user)", secret: secret, screenName: "n",
                createdAt: Date(milliseconds: 1000), updatedAt: Date(milliseconds: updated), metadata: ["a": "b"])
        }

        @Test(arguments: [false, true])
        func takeIsAtomicOnBothPaths(scripted: Bool) async throws {
            let prefix = Env.randomPrefix()
            var configuration = try RedisTokenStore.Configuration(url: Env.url(try Env.requireACLURL(), prefix: prefix))
            configuration.forceScriptedTake = scripted
            let store = try await RedisTokenStore(configuration: configuration)
            #expect(store.usesGetDel == !scripted, "server \(store.serverVersion)")
            defer { Task { try? await store.close() } }
            let token = Self.requestToken("race")
            try await store.saveRequestToken(token)
            #expect(try await store.counts().requestTokens == 1)
            let winners = try await withThrowingTaskGroup(of: RequestToken?.self) { group in
                for _ in 0..<16 { group.addTask { try await store.takeRequestToken("race") } }
                return try await group.reduce(into: [RequestToken]()) { if let token = $1 { $0.append(token) } }
            }
            #expect(winners == [token])
            #expect(try await store.takeRequestToken("race") == nil)
            #expect(try await store.counts().requestTokens == 0)
            for key in store.keys.fixedKeys.dropFirst() {
                #expect(try await store.rawCommand(["EXISTS", String(decoding: key, as: UTF8.self)]) == .integer(0), "indexes emptied")
            }
            try await Env.removeKeys(prefix: prefix, using: store)
        }

        @Test func manyConcurrentCallersGetTheirOwnReplies() async throws {
            // More callers than connections: calls are batched into shared pipelines, and
            // every caller must still get exactly its own replies.
            try await Env.withStore(url: try Env.requireACLURL(), extra: "pool_max=2") { store, _ in
                let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                    for worker in 0..<48 {
                        group.addTask {
                            var bad = 0
                            for round in 0..<10 {
                                let name = "w\(worker)-\(round)"
                                let request = Self.requestToken(name)
                                try await store.saveRequestToken(request)
                                let access = Self.accessToken("conc", name, secret: "s-\(name)")
                                try await store.saveAccessToken(access)
                                if try await store.accessToken(for: access.key) != access { bad += 1 }
                                if try await store.takeRequestToken(name) != request { bad += 1 }
                                if try await store.takeRequestToken(name) != nil { bad += 1 }
                            }
                            return bad
                        }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(mismatches == 0)
                #expect(try await store.counts() == TokenCounts(requestTokens: 0, accessTokens: 480))
            }
        }

        @Test func expiryFollowsTheStoreClockAndTheServer() async throws {
            let stepping = SteppingClock()
            try await Env.withStore(url: try Env.requireACLURL(), clock: stepping.clock) { store, _ in
                try await store.saveRequestToken(Self.requestToken("a", clock: stepping.clock, ttl: 60))
                try await store.saveRequestToken(Self.requestToken("b", clock: stepping.clock, ttl: 600))
                #expect(try await store.counts().requestTokens == 2)
                let ttl = try await store.rawCommand(["PTTL", String(decoding: store.keys.requestTokenKey("a"), as: UTF8.self)])
                guard case .integer(let left) = ttl else { Issue.record("PTTL: \(ttl)"); return }
                #expect(left > 50_000 && left <= 60_000, "the server expires the record (SET PX)")
                stepping.advance(seconds: 61)
                #expect(try await store.counts().requestTokens == 1)
                #expect(try await store.listRequestTokens(after: nil, limit: 10).tokens.map(\.token) == ["b"])
                #expect(try await store.takeRequestToken("a") == nil, "expired by the store's clock")
                try await store.saveRequestToken(Self.requestToken("c", clock: stepping.clock, ttl: 1))
                stepping.advance(seconds: 2)
                #expect(try await store.purgeExpiredRequestTokens() == 1)
                #expect(try await store.purgeExpiredRequestTokens() == 0)
                #expect(try await store.counts().requestTokens == 1)
            }
        }

        @Test func theServerRemovesExpiredRecords() async throws {
            try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
                try await store.saveRequestToken(Self.requestToken("short", ttl: 0.05))
                try await Task.sleep(for: .milliseconds(200))
                let exists = try await store.rawCommand(["EXISTS", String(decoding: store.keys.requestTokenKey("short"), as: UTF8.self)])
                #expect(exists == .integer(0))
                #expect(try await store.counts().requestTokens == 0)
                #expect(try await store.purgeExpiredRequestTokens() == 1, "the index entries are purged")
                #expect(try await store.takeRequestToken("short") == nil)
            }
        }

        @Test func listingPagesInKeyOrderWithHostileKeys() async throws {
            try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
                let providers = ["a", "a\u{0}", "a\u{0}b", "ab", "{x}", "日本"]
                var keys: [AccessTokenKey] = []
                for provider in providers {
                    for user in ["", "1", "\u{0}", "2\r\n"] {
                        try await store.saveAccessToken(Self.accessToken(provider, user))
                        keys.append(AccessTokenKey(provider: provider, userID: user))
                    }
                }
                var listed: [AccessTokenKey] = []
                var cursor: AccessTokenKey?
                var pages = 0
                repeat {
                    let page = try await store.listAccessTokens(after: cursor, limit: 5)
                    #expect(page.tokens.count <= 5)
                    listed += page.tokens.map(\.key)
                    cursor = page.nextCursor
                    pages += 1
                } while cursor != nil && pages < 100
                #expect(listed == keys.sorted())
                #expect(try await store.counts().accessTokens == keys.count)
                let fetched = try await store.accessToken(provider: "a\u{0}b", userID: "\u{0}")
                #expect(fetched == Self.accessToken("a\u{0}b", "\u{0}"))

                for name in ["t3", "t1", "t\u{0}", "t2", "u"] { try await store.saveRequestToken(Self.requestToken(name)) }
                let first = try await store.listRequestTokens(after: nil, limit: 2)
                let second = try await store.listRequestTokens(after: first.nextCursor, limit: 2)
                let third = try await store.listRequestTokens(after: second.nextCursor, limit: 2)
                #expect((first.tokens + second.tokens + third.tokens).map(\.token) == ["t\u{0}", "t1", "t2", "t3", "u"])
                #expect(third.nextCursor == nil)
                await #expect(throws: TokenStoreError.self) { try await store.listAccessTokens(after: nil, limit: 0) }
            }
        }

        @Test func upsertPoliciesAndBatches() async throws {
            try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
                #expect(try await store.saveAccessToken(Self.accessToken("p", "u", updated: 5000), policy: .ifNewer))
                #expect(!(try await store.saveAccessToken(Self.accessToken("p", "u", updated: 4000), policy: .ifNewer)))
                #expect(!(try await store.saveAccessToken(Self.accessToken("p", "u", updated: 5000), policy: .ifNewer)))
                var newer = Self.accessToken("p", "u", updated: 9000)
                newer.createdAt = Date(milliseconds: 7000)
                newer.metadata = [:]
                #expect(try await store.saveAccessToken(newer, policy: .overwrite))
                let stored = try #require(try await store.accessToken(provider: "p", userID: "u"))
                #expect(stored.createdAt == Date(milliseconds: 1000), "createdAt survives an overwrite")
                #expect(stored.updatedAt == Date(milliseconds: 9000))
                #expect(stored.metadata.isEmpty, "an overwrite drops old metadata fields")
                let batch = (0..<1200).map { Self.accessToken("batch", String(format: "%05d", $0)) }
                #expect(try await store.saveAccessTokens(batch, policy: .ifNewer) == 1200)
                #expect(try await store.saveAccessTokens(batch, policy: .ifNewer) == 0)
                #expect(try await store.counts().accessTokens == 1201)
                #expect(try await store.deleteAccessToken(for: AccessTokenKey(provider: "p", userID: "u")))
                #expect(!(try await store.deleteAccessToken(for: AccessTokenKey(provider: "p", userID: "u"))))
                #expect(try await store.counts().accessTokens == 1200)
            }
        }

        @Test func scriptsSurviveAScriptFlush() async throws {
            try await Env.withStore(url: try Env.requirePasswordURL(), extra: "pool_max=1") { store, _ in
                #expect(try await store.rawCommand(["SCRIPT", "FLUSH"]) == .status("OK"))
                #expect(try await store.saveAccessTokens([Self.accessToken("s", "1"), Self.accessToken("s", "2")], policy: .overwrite) == 2)
                #expect(try await store.rawCommand(["SCRIPT", "FLUSH"]) == .status("OK"))
                try await store.saveRequestToken(Self.requestToken("x", ttl: -1))
                #expect(try await store.purgeExpiredRequestTokens() == 1)
            }
        }

        @Test func everyKeyWrittenSharesTheHashTagSlot() async throws {
            try await Env.withStore(url: try Env.requireACLURL()) { store, prefix in
                try await store.saveRequestToken(Self.requestToken("k"))
                try await store.saveAccessToken(Self.accessToken("p", "u"))
                try await store.saveTokenSet(OAuth2TokenSet(provider: "p", userID: "u", accessToken: "a", createdAt: Date()))
                let reply = try await store.rawCommand(["KEYS", "*\(prefix)*"])
                guard case .array(let items) = reply else { Issue.record("KEYS: \(reply)"); return }
                let keys = items.compactMap { item -> [UInt8]? in if case .bulk(let bytes) = item { return bytes } else { return nil } }
                #expect(keys.count == 9, "schema, record, two request indexes, hash, access index, access counters, token set, its index")
                #expect(Set(keys.map(KeyLayoutTests.slot)).count == 1)
                for key in keys { #expect(key.starts(with: Array("{\(prefix)}:".utf8))) }
            }
        }

        @Test func schemaVersionKey() async throws {
            let base = try Env.requireACLURL()
            try await Env.withStore(url: base) { store, prefix in
                #expect(try await store.schemaVersion() == 3)
                let schemaKey = "{\(prefix)}:schema"
                _ = try await store.rawCommand(["SET", schemaKey, "5"])
                let tooNew = await #expect(throws: TokenStoreError.self) { try await RedisTokenStore(url: Env.url(base, prefix: prefix)) }
                #expect(tooNew?.code == .schemaTooNew)
                #expect(tooNew?.message.contains("5") == true)
                _ = try await store.rawCommand(["SET", schemaKey, "abc"])
                let corrupt = await #expect(throws: TokenStoreError.self) { try await store.schemaVersion() }
                #expect(corrupt?.code == .corruptedRecord)
            }
        }

        @Test func corruptedRecordsAndErrorRepliesAreTyped() async throws {
            let url = try Env.requireACLURL()
            let password = try #require(Env.password(in: url))
            try await Env.withStore(url: url) { store, prefix in
                _ = try await store.rawCommand(["SET", "{\(prefix)}:rt:bad", "garbage"])
                let corrupt = await #expect(throws: TokenStoreError.self) { try await store.takeRequestToken("bad") }
                #expect(corrupt?.code == .corruptedRecord)
                #expect(corrupt?.record?.contains("bad") == true)
                #expect(corrupt?.operation == "takeRequestToken")

                let secret = "SECRET-\(UUID().uuidString)"
                let token = Self.accessToken("p", "u", secret: secret)
                let hashKey = String(decoding: store.keys.accessTokenKey(member: RedisKeyLayout.member(of: token.key)), as: UTF8.self)
                _ = try await store.rawCommand(["SET", hashKey, "not a hash"])
                let wrongType = await #expect(throws: TokenStoreError.self) { try await store.saveAccessToken(token) }
                #expect(wrongType?.message.contains("WRONGTYPE") == true, "\(wrongType?.message ?? "")")
                for text in [wrongType?.description, wrongType?.debugDescription] {
                    #expect(text?.contains(secret) == false)
                    #expect(text?.contains(password) == false)
                }
                _ = try await store.rawCommand(["SET", "{\(prefix)}:idx:at", "x"])
                let counts = await #expect(throws: TokenStoreError.self) { try await store.counts() }
                #expect(counts?.code == .corruptedRecord)
                #expect(counts?.message.contains("WRONGTYPE") == true)
                #expect(counts?.operation == "counts")
                #expect(try await store.schemaVersion() == RedisTokenStore.schemaVersion, "the connection stays usable after an error reply")
            }
        }

        @Test func poolWaitIsBounded() async throws {
            try await Env.withStore(url: try Env.requireACLURL(), extra: "pool_max=1&pool_acquire_timeout=0.2") { store, _ async throws in
                let error = await #expect(throws: TokenStoreError.self) {
                    try await store.holdingConnection { try await store.counts() }
                }
                #expect(error?.code == .timedOut)
                #expect(error?.message.contains("pool_max") == true)
                #expect(try await store.counts().accessTokens == 0, "the pool works again once the connection is back")
            }
        }

        /// A user of its own, so `CLIENT LIST` shows this store's connections and no other
        /// test's: the server is shared with suites running at the same time.
        @Test func idleConnectionsAbovePoolMinAreClosed() async throws {
            let base = try Env.requireACLURL()
            let password = try #require(Env.password(in: base))
            let user = "tstest-idle-" + UUID().uuidString.prefix(8).lowercased()
            let prefix = Env.randomPrefix()
            let admin = try await RedisTokenStore(url: Env.url(base, prefix: prefix))
            _ = try await admin.rawCommand(["ACL", "SETUSER", user, "on", ">" + password, "~*", "&*", "+@all"])
            func connections() async throws -> Int {
                guard case .bulk(let list) = try await admin.rawCommand(["CLIENT", "LIST"]) else { return -1 }
                return String(decoding: list, as: UTF8.self).split(separator: "\n").count { $0.contains(" user=\(user) ") }
            }
            do {
                let url = base.replacingOccurrences(of: "://tokenstore:", with: "://\(user):")
                let store = try await RedisTokenStore(url: Env.url(url, prefix: prefix, "pool_min=1&pool_max=4&pool_idle_timeout=1"))
                let service = Task { try await store.run() }
                // Three callers at once: the pool opens three connections.
                let held = try await store.holdingConnection {
                    try await store.holdingConnection { try await store.holdingConnection { try await connections() } }
                }
                #expect(held == 3)
                // Well under the pool's own default idle time (60 s): only pool_idle_timeout closes them in time.
                try await eventually("idle connections above pool_min closed", within: .seconds(30)) {
                    try await connections() == 1
                }
                #expect(try await store.counts().accessTokens == 0, "the store works on after closing idle connections")
                service.cancel()
                try await service.value
                try await eventually("the store's last connection closed with the store") { try await connections() == 0 }
            } catch {
                _ = try? await admin.rawCommand(["ACL", "DELUSER", user])
                try? await admin.close()
                throw error
            }
            _ = try await admin.rawCommand(["ACL", "DELUSER", user])
            try await Env.removeKeys(prefix: prefix, using: admin)
            try await admin.close()
        }

        @Test func closedStoreThrowsClosed() async throws {
            let store = try await RedisTokenStore(url: Env.url(try Env.requireACLURL(), prefix: Env.randomPrefix()))
            try await store.close()
            try await store.close()
            let error = await #expect(throws: TokenStoreError.self) { try await store.counts() }
            #expect(error?.code == .closed)
        }

        @Test func runsAsAServiceUntilCancelled() async throws {
            let store = try await RedisTokenStore(url: Env.url(try Env.requireACLURL(), prefix: Env.randomPrefix(), "pool_min=2"))
            let service = Task { try await store.run() }
            #expect(try await store.counts().requestTokens == 0)
            service.cancel()
            try await service.value
            let error = await #expect(throws: TokenStoreError.self) { try await store.counts() }
            #expect(error?.code == .closed)
        }

        @Test func runReturnsWhenTheStoreIsClosed() async throws {
            let store = try await RedisTokenStore(url: Env.url(try Env.requireACLURL(), prefix: Env.randomPrefix()))
            let service = Task { try await store.run() }
            #expect(try await store.schemaVersion() == RedisTokenStore.schemaVersion)
            try await store.close()
            try await service.value
        }

        @Test func theRegistryOpensRedisURLs() async throws {
            let registry = TokenStoreRegistry(drivers: [RedisTokenStore.driver])
            let url = Env.url(try Env.requireACLURL(), prefix: Env.randomPrefix())
            let store = try await registry.open(url)
            #expect(store.displayName.hasPrefix("redis://tokenstore:***@127.0.0.1:"))
            #expect(try await store.schemaVersion() == RedisTokenStore.schemaVersion)
            try await store.close()
        }
    }

    // MARK: Faults

    @Suite("Faults", .serverTimeLimit) struct Faults {
        static func replacingPassword(in url: String, with replacement: String) throws -> String {
            let password = try #require(Env.password(in: url))
            return url.replacingOccurrences(of: ":\(password)@", with: ":\(replacement)@")
        }

        @Test func wrongPasswordIsAuthenticationFailed() async throws {
            let url = try Env.requireACLURL()
            let handler = LogCapture()
            let logger = handler.logger()
            for bad in [try Self.replacingPassword(in: url, with: "wrong-pw-123"), try Env.requirePasswordURL().replacingOccurrences(of: "://:", with: "://:x")] {
                let error = await #expect(throws: TokenStoreError.self) {
                    try await RedisTokenStore(url: bad, options: TokenStoreOptions(logger: logger))
                }
                #expect(error?.code == .authenticationFailed, "\(error?.description ?? "")")
                #expect(error?.description.contains("wrong-pw-123") == false)
            }
            #expect(!handler.text.contains("wrong-pw-123"))
            #expect(!handler.text.isEmpty, "the failed connect was logged")
        }

        @Test func missingPasswordIsAuthenticationFailed() async throws {
            let url = try Env.requirePasswordURL()
            let password = try #require(Env.password(in: url))
            let error = await #expect(throws: TokenStoreError.self) {
                try await RedisTokenStore(url: url.replacingOccurrences(of: ":\(password)@", with: ""))
            }
            #expect(error?.code == .authenticationFailed)
        }

        @Test func missingDatabaseIsMisconfigured() async throws {
            let url = try Env.requireACLURL()
            let error = await #expect(throws: TokenStoreError.self) {
                try await RedisTokenStore(url: url.replacingOccurrences(of: "/0", with: "/99"))
            }
            #expect(error?.code == .misconfigured)
            #expect(error?.message.contains("SELECT 99") == true)
            #expect(error?.description.contains(try #require(Env.password(in: url))) == false)
        }

        @Test func refusedConnectionIsUnavailable() async throws {
            let fake = try FakeRedisServer(.silent)
            let url = fake.url
            fake.stop()
            let error = await #expect(throws: TokenStoreError.self) { try await RedisTokenStore(url: url) }
            #expect(error?.code == .unavailable)
        }

        @Test
        func serverRestartIsUnavailableThenRecovers() async throws {
            let url = try Env.requireOutageURL()
            let handler = LogCapture()
            let prefix = Env.randomPrefix()
            let store = try await RedisTokenStore(
                url: Env.url(url, prefix: prefix, "pool_max=4&connect_timeout=1&operation_timeout=2"),
                options: TokenStoreOptions(logger: handler.logger()))
            try await store.saveAccessToken(Operations.accessToken("r", "1"))
            // Several idle connections in the pool.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { _ = try await store.counts() } }
                try await group.waitForAll()
            }
            try await Env.runControl("stop")
            print("redis stopped")
            do {
                for _ in 0..<3 {
                    let error = await #expect(throws: TokenStoreError.self) { try await store.counts() }
                    #expect(error?.code == .unavailable, "\(error?.description ?? "")")
                }
            }
            try await Env.runControl("start")
            print("redis started")
            // The server restarted empty (no persistence): the first call after it works,
            // on a fresh connection, with scripts reloaded on NOSCRIPT.
            #expect(try await store.counts().accessTokens == 0)
            #expect(try await store.saveAccessToken(Operations.accessToken("r", "2")))
            #expect(try await store.accessToken(provider: "r", userID: "2") != nil)
            try await Env.removeKeys(prefix: prefix, using: store)
            try await store.close()
            #expect(!handler.text.contains(try #require(Env.password(in: url))))
        }
    }
}

/// Faults only a scripted server produces; no real Redis needed.
@Suite("Redis faults against a fake server", .serverTimeLimit)
struct FakeServerFaultTests {
    @Test func silentServerTimesOutTheConnect() async throws {
        let fake = try FakeRedisServer(.silent)
        defer { fake.stop() }
        let start = ContinuousClock.now
        let error = await #expect(throws: TokenStoreError.self) {
            try await RedisTokenStore(url: fake.url + "?connect_timeout=0.3")
        }
        #expect(error?.code == .timedOut)
        // Loose on purpose: a loaded runner took 10.6 s to report a 0.3 s timeout; a hang
        // would take until the suite's time limit.
        #expect(ContinuousClock.now - start < .seconds(60), "bounded by the timeout, not hung")
    }

    @Test func silentCommandTimesOutAndTheConnectionIsReplaced() async throws {
        let fake = try FakeRedisServer(.silentOn("HGETALL"))
        defer { fake.stop() }
        let store = try await RedisTokenStore(url: fake.url + "?operation_timeout=0.3&pool_max=1")
        let error = await #expect(throws: TokenStoreError.self) {
            try await store.accessToken(provider: "p", userID: "u")
        }
        #expect(error?.code == .timedOut)
        #expect(error?.operation == "accessToken")
        // The timed-out connection was dropped: the next command runs on a new one.
        #expect(try await store.schemaVersion() == 1)
        try await store.close()
    }

    @Test func closeMidReplyIsUnavailable() async throws {
        let fake = try FakeRedisServer(.halfReplyOn("HGETALL"))
        defer { fake.stop() }
        let store = try await RedisTokenStore(url: fake.url + "?pool_max=1")
        let error = await #expect(throws: TokenStoreError.self) {
            try await store.accessToken(provider: "p", userID: "u")
        }
        #expect(error?.code == .unavailable, "\(error?.description ?? "")")
        #expect(try await store.schemaVersion() == 1, "a new connection replaces the broken one")
        try await store.close()
    }

    @Test func closeMidHandshakeIsUnavailable() async throws {
        let fake = try FakeRedisServer(.halfReplyOn("PING"))
        defer { fake.stop() }
        let error = await #expect(throws: TokenStoreError.self) { try await RedisTokenStore(url: fake.url) }
        #expect(error?.code == .unavailable)
        #expect(error?.operation == "open")
    }

    @Test func unknownCommandRepliesAreTypedErrors() async throws {
        let fake = try FakeRedisServer(.silentOn("NEVER"))
        defer { fake.stop() }
        let store = try await RedisTokenStore(url: fake.url)
        let error = await #expect(throws: TokenStoreError.self) { try await store.counts() }
        #expect(error?.message.contains("the fake server does not know this command") == true)
        try await store.close()
    }
}
