import Foundation
import Synchronization
import Testing
import TokenStoreIO
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStorePostgres

#if canImport(Glibc)
    import Glibc
#endif

/// The primary and synchronous standby `Scripts/test-servers` starts for the failover test
/// alone (`Scripts/lib/postgres-standby.sh`), read from the environment.
enum PostgresFailoverServer {
    static let url = ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_FAILOVER_URL"]
    static let control = ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_FAILOVER_CONTROL"]

    /// Runs when the pair is configured, or in CI (where a missing pair must fail, never skip).
    static var available: Bool {
        if (url == nil || control == nil) && !PostgresTestServer.isCI {
            print("TokenStorePostgresTests: TOKENSTORE_TEST_POSTGRES_FAILOVER_URL is not set; run through Scripts/test to include the failover test")
        }
        return (url != nil && control != nil) || PostgresTestServer.isCI
    }

    /// Runs the pair's control script (`stop-primary`, `promote-standby`, `status`).
    static func control(_ action: String) async throws {
        let script = try #require(control, "TOKENSTORE_TEST_POSTGRES_FAILOVER_CONTROL must be set (Scripts/test starts the pair)")
        let status = await ServerControl.run(script, action)
        try #require(status == 0, "failover control \(action) failed")
    }
}

/// A failover is destructive (the primary stays down), so it runs once, in a suite of its
/// own: on servers nothing else uses, in parallel with the other suites.
@Suite("PostgreSQL failover", .enabled(if: PostgresFailoverServer.available), .serialized, .serverTimeLimit)
struct PostgresFailoverTests {
    /// The kinds of call the load makes, each timed to its first success after the promotion.
    enum Call: String, CaseIterable, Sendable {
        case take, saveRequestToken, saveAccessToken, get
    }

    @Test("primary crashed, standby promoted: calls succeed again within 5 s, no acknowledged write lost, no take answered twice")
    func crashAndPromote() async throws {
        let base = try #require(PostgresFailoverServer.url, "TOKENSTORE_TEST_POSTGRES_FAILOVER_URL must be set (Scripts/test starts the pair); CI never skips")
        let standbyPort = try #require(base.split(separator: "/")[1].split(separator: ",").last?.split(separator: ":").last.flatMap { Int($0) })
        let store = try await PostgresTokenStore(url: base + "&pool_max=4&schema=failover")
        let log = FailoverLog()
        defer { log.stop() }  // ends the load also when a requirement fails half-way
        let now = Date()

        // Acknowledged before the load starts: on the standby once the primary commits them.
        let presaved = 200
        let requestTokens = (0..<presaved).map {
            RequestToken(provider: "failover", token: "pre-\($0)", secret: "s", createdAt: now, timeToLive: .seconds(3600))
        }
        #expect(try await store.saveRequestTokens(requestTokens) == presaved)
        let accessTokens = (0..<presaved).map { AccessToken(provider: "failover", userID: "pre-\($0)", token: "t\($0)", secret: "s", createdAt: now) }
        #expect(try await store.saveAccessTokens(accessTokens, policy: .overwrite) == presaved)
        log.acknowledge(requestTokens: requestTokens.map(\.token), accessTokens: accessTokens.map(\.userID))

        // Two takers walk the same acknowledged request tokens (so a token they reach is
        // taken twice, once in vain), two savers add tokens, a reader reads the presaved ones.
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for taker in 0..<2 { group.addTask { await Self.take(store, log, taker: taker) } }
                group.addTask { await Self.saveRequestTokens(store, log) }
                group.addTask { await Self.saveAccessTokens(store, log) }
                group.addTask { await Self.get(store, log, presaved: presaved) }
            }
        }
        // Every kind has run on the primary, so the pool holds connections to it. A safety
        // deadline, not a figure: in a loaded run the load's tasks wait for the cooperative
        // threads the whole suite shares (once, 11 saves in 30 s).
        try await log.waitUntil(deadline: .now + .seconds(120)) { $0.successCount(since: nil).allSatisfy { $0.value >= 20 } }

        // Immediate: a crash, nothing flushed or handed over; what the standby has is what
        // synchronous replication gave it. (A fast stop would send the standby all WAL
        // first and prove nothing about acknowledged writes.)
        let stopping = ContinuousClock.now
        try await PostgresFailoverServer.control("stop-primary")
        let stopped = ContinuousClock.now
        // The gap a failover manager takes to decide: every call fails meanwhile, and no
        // write may run on the standby (target_session_attrs=read-write refuses it).
        try await Task.sleep(for: .milliseconds(300))
        let promoting = ContinuousClock.now
        try await PostgresFailoverServer.control("promote-standby")
        let promoted = ContinuousClock.now
        try await log.waitUntil(deadline: promoted + .seconds(10)) { $0.firstSuccess(after: promoted).count == Call.allCases.count }
        try await Task.sleep(for: .milliseconds(100))
        log.stop()
        await load.value

        // Recovery: from the promotion returning to each kind's first success (`pg_ctl
        // promote -w` polls ten times a second, so writes may be accepted a little earlier),
        // and the whole outage, from the crash.
        let firstSuccess = log.firstSuccess(after: promoted)
        let recovery = firstSuccess.mapValues { $0 - promoted }
        let outage = firstSuccess.values.max().map { $0 - stopping }
        for call in Call.allCases {
            let time = try #require(recovery[call], "no \(call) succeeded within 10 s of the promotion")
            #expect(time <= .seconds(5), "\(call) recovered \(time) after the promotion")
        }
        // Only unavailable or timed out in between, and never a write sent to the read-only standby.
        let errors = log.errors
        for error in errors {
            #expect(error.code == .unavailable || error.code == .timedOut, "\(error)")
            #expect(!error.message.contains("25006"), "a write ran on the read-only standby: \(error)")
        }
        #expect(!errors.isEmpty, "no call failed across the failover: did the primary stop?")

        // New connections go to the promoted standby, which now accepts writes.
        let servers = try await withThrowingTaskGroup(of: [String?].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let rows = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                        try await connection.execute(sql: "SELECT inet_server_port()::text, pg_is_in_recovery()::text, pg_sleep(0.05)", deadline: deadline)
                    }
                    return Array(rows[0])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for server in servers { #expect(server[0] == "\(standbyPort)" && server[1] == "false", "\(server)") }
        #expect(store.pool.statistics.open <= 4)

        // Every acknowledged write is on the promoted standby.
        let snapshot = log.snapshot()
        for userID in snapshot.acknowledgedAccessTokens {
            let token = try await store.accessToken(provider: "failover", userID: userID)
            let expected = userID.hasPrefix("pre-") ? "t\(userID.dropFirst(4))" : "t"
            #expect(token?.token == expected, "acknowledged access token \(userID) lost in the failover")
        }
        // No request token answered twice: the takers' results, then one more take of
        // every acknowledged token, which must find exactly those never taken.
        #expect(snapshot.duplicateTakes.isEmpty, "taken twice: \(snapshot.duplicateTakes)")
        var reappeared: [String] = []
        var lost: [String] = []
        for token in snapshot.acknowledgedRequestTokens {
            let found = try await store.takeRequestToken(token) != nil
            if found && snapshot.taken.contains(token) { reappeared.append(token) }
            if !found && !snapshot.taken.contains(token) && !snapshot.ambiguousTakes.contains(token) { lost.append(token) }
        }
        #expect(reappeared.isEmpty, "a taken request token came back after the failover: \(reappeared)")
        #expect(lost.isEmpty, "acknowledged request tokens lost in the failover: \(lost)")

        let byKind = Dictionary(grouping: errors) { "\($0.operation) \($0.code)" }.mapValues(\.count).sorted { $0.key < $1.key }
        print(
            """
            PostgreSQL failover: stop-primary took \(stopped - stopping), promote-standby \(promoted - promoting); \
            recovery after promotion: \(Call.allCases.map { "\($0) \(recovery[$0].map { "\($0)" } ?? "none")" }.joined(separator: ", ")), \
            outage from the crash to every kind's first success \(outage.map { "\($0)" } ?? "none"); \
            \(snapshot.callCount) calls, \(errors.count) errors (\(byKind.map { "\($0.key): \($0.value)" }.joined(separator: ", "))); \
            \(snapshot.acknowledgedRequestTokens.count) request tokens and \(snapshot.acknowledgedAccessTokens.count) access tokens acknowledged, \
            \(snapshot.taken.count) taken, \(snapshot.ambiguousTakes.count) takes failed; messages:
            \(Set(errors.map { $0.message.filter { !$0.isNumber } }).sorted().joined(separator: "\n"))
            """)
        try await store.close()
    }

    @Test(
        "a first host that drops packets: tcp_user_timeout, the URL's or the driver's default for a host list, lets libpq move on to the next host within the connect timeout",
        arguments: ["&tcp_user_timeout=300", ""])
    func silentFirstHost(timeout: String) async throws {
        // Without tcp_user_timeout the connect would wait on the silent host until the
        // connect timeout ends the whole attempt; with it, 1-2 s (more on a busy machine,
        // hence the margin below the timeout).
        let base = try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=1&connect_timeout=40")
        let silent = try SilentPort()
        defer { silent.close() }
        // The shared server, behind a host that never answers.
        let at = try #require(base.firstIndex(of: "@"))
        let url = base[...at] + "127.0.0.1:\(silent.port)," + base[base.index(after: at)...]
        let started = ContinuousClock.now
        let store = try await PostgresTokenStore(url: url + timeout)
        let opened = ContinuousClock.now - started
        try await store.saveAccessToken(AccessToken(provider: "silent", userID: "1", token: "t", secret: "s", createdAt: Date()))
        try await store.close()
        #expect(opened < .seconds(20), "opening took \(opened): the connect waited on the silent host")
        let setting = timeout.isEmpty ? "the default tcp_user_timeout" : String(timeout.dropFirst())
        print("PostgreSQL failover: a silent first host with \(setting) cost \(opened) to open the store")
    }

    // MARK: The load: each loop runs until the log stops, pausing 2 ms between calls (not
    // to take the cores the other suites run on) and 10 ms after a failure.

    static func take(_ store: PostgresTokenStore, _ log: FailoverLog, taker: Int) async {
        var next = 0
        while !log.isStopped {
            guard let token = log.acknowledgedRequestToken(at: next) else {
                try? await Task.sleep(for: .milliseconds(2))
                continue
            }
            next += 1
            await log.run(.take, taker: taker, token: token) { try await store.takeRequestToken(token) != nil }
        }
    }

    static func saveRequestTokens(_ store: PostgresTokenStore, _ log: FailoverLog) async {
        var number = 0
        while !log.isStopped {
            let token = RequestToken(provider: "failover", token: "live-\(number)", secret: "s", createdAt: Date(), timeToLive: .seconds(3600))
            number += 1
            await log.run(.saveRequestToken, token: token.token) {
                try await store.saveRequestToken(token)
                return true
            }
        }
    }

    static func saveAccessTokens(_ store: PostgresTokenStore, _ log: FailoverLog) async {
        var number = 0
        while !log.isStopped {
            let token = AccessToken(provider: "failover", userID: "live-\(number)", token: "t", secret: "s", createdAt: Date())
            number += 1
            await log.run(.saveAccessToken, token: token.userID) { try await store.saveAccessToken(token) }
        }
    }

    static func get(_ store: PostgresTokenStore, _ log: FailoverLog, presaved: Int) async {
        var number = 0
        while !log.isStopped {
            let userID = "pre-\(number % presaved)"
            number += 1
            await log.run(.get, token: userID) {
                let token = try await store.accessToken(provider: "failover", userID: userID)
                #expect(token?.token == "t\(userID.dropFirst(4))", "presaved access token \(userID) read back wrong")
                return true
            }
        }
    }
}

/// What the load saw, shared by its tasks.
final class FailoverLog: Sendable {
    struct State {
        var stopped = false
        var acknowledgedRequestTokens: [String] = []
        var acknowledgedAccessTokens: [String] = []
        /// Request tokens some take returned, and the ones returned more than once.
        var taken: Set<String> = []
        var duplicateTakes: [String] = []
        /// Request tokens whose take failed: it may have run, so they may be gone.
        var ambiguousTakes: Set<String> = []
        var successes: [PostgresFailoverTests.Call: [ContinuousClock.Instant]] = [:]
        var errors: [TokenStoreError] = []
        var callCount = 0

        func successCount(since start: ContinuousClock.Instant?) -> [PostgresFailoverTests.Call: Int] {
            var counts: [PostgresFailoverTests.Call: Int] = [:]
            for call in PostgresFailoverTests.Call.allCases {
                counts[call] = successes[call, default: []].count { instant in start.map { instant > $0 } ?? true }
            }
            return counts
        }

        func firstSuccess(after start: ContinuousClock.Instant) -> [PostgresFailoverTests.Call: ContinuousClock.Instant] {
            successes.compactMapValues { $0.first { $0 > start } }
        }
    }

    private let state = Mutex(State())

    var isStopped: Bool { state.withLock { $0.stopped } }
    var errors: [TokenStoreError] { state.withLock { $0.errors } }
    func stop() { state.withLock { $0.stopped = true } }
    func snapshot() -> State { state.withLock { $0 } }

    func firstSuccess(after start: ContinuousClock.Instant) -> [PostgresFailoverTests.Call: ContinuousClock.Instant] {
        state.withLock { $0.firstSuccess(after: start) }
    }

    func acknowledge(requestTokens: [String], accessTokens: [String]) {
        state.withLock {
            $0.acknowledgedRequestTokens += requestTokens
            $0.acknowledgedAccessTokens += accessTokens
        }
    }

    func acknowledgedRequestToken(at index: Int) -> String? {
        state.withLock { index < $0.acknowledgedRequestTokens.count ? $0.acknowledgedRequestTokens[index] : nil }
    }

    /// Waits (polling every 5 ms) until `condition` holds, failing the test at `deadline`.
    func waitUntil(deadline: ContinuousClock.Instant, _ condition: (State) -> Bool) async throws {
        while !state.withLock({ condition($0) }) {
            try #require(ContinuousClock.now < deadline, "the failover load did not get there in time: \(state.withLock { $0.successCount(since: nil) })")
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Runs one call of the load and records its outcome; `body` returns whether a take
    /// found its token (a save or read returns `true`).
    func run(_ call: PostgresFailoverTests.Call, taker: Int = 0, token: String, _ body: () async throws -> Bool) async {
        let outcome: Result<Bool, any Error>
        do {
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        let finished = ContinuousClock.now
        let failed: Bool = state.withLock { state in
            state.callCount += 1
            switch outcome {
            case .success(let found):
                state.successes[call, default: []].append(finished)
                switch call {
                case .take where found:
                    if !state.taken.insert(token).inserted { state.duplicateTakes.append(token) }
                case .saveRequestToken: state.acknowledgedRequestTokens.append(token)
                case .saveAccessToken: state.acknowledgedAccessTokens.append(token)
                default: break
                }
                return false
            case .failure(let error as TokenStoreError):
                state.errors.append(error)
                if call == .take { state.ambiguousTakes.insert(token) }
                return true
            case .failure(let error):
                Issue.record("untyped error from \(call): \(error)")
                return true
            }
        }
        try? await Task.sleep(for: .milliseconds(failed ? 10 : 2))
    }
}

/// A session that only reads, on the shared server (`default_transaction_read_only` set
/// for the store's sessions alone, through libpq's `options`).
extension PostgresServerTests {
    @Suite("PostgreSQL read-only sessions", .serverTimeLimit)
    struct ReadOnlySessions {
        @Test("a write on a read-only session is unavailable, nothing written, its connection dropped; read-write refuses it at connect")
        func writeOnReadOnlySession() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=1")
            try await PostgresTokenStore(url: url).close()  // creates the tables
            var options = TokenStoreOptions()
            options.migrateSchemaOnOpen = false
            let readOnlyURL = url + "&options=-c%20default_transaction_read_only%3Don"
            let store = try await PostgresTokenStore(url: readOnlyURL, options: options)
            let saved = await storeError {
                try await store.saveAccessToken(AccessToken(provider: "ro", userID: "1", token: "t", secret: "s", createdAt: Date()))
            }
            #expect(saved?.code == .unavailable)
            #expect(saved?.message.hasPrefix("the server is read-only") == true, "\(String(describing: saved))")
            #expect(saved?.message.contains("(SQLSTATE 25006)") == true)
            #expect(store.pool.statistics.open == 0, "the read-only connection was kept")
            let taken = await storeError { _ = try await store.takeRequestToken("rt") }
            #expect(taken?.code == .unavailable)
            // Reads run, and find that nothing was written.
            #expect(try await store.accessToken(provider: "ro", userID: "1") == nil)
            try await store.close()

            // With target_session_attrs=read-write, libpq refuses the session before any write.
            let refused = await storeError { _ = try await PostgresTokenStore(url: readOnlyURL + "&target_session_attrs=read-write", options: options) }
            #expect(refused?.code == .unavailable)
            #expect(refused?.message.hasPrefix("no server in the URL accepts writes") == true, "\(String(describing: refused))")
        }
    }
}

/// A loopback port that accepts no connection and answers no SYN, like a host gone from
/// the network: a listening socket whose accept queue (backlog 0) is already full.
final class SilentPort: Sendable {
    let port: Int
    private let descriptors: [Int32]

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        try #require(bound && listen(listener, 0) == 0)
        var descriptors = [listener]
        // Two connections fill the queue; from then on the kernel drops every SYN.
        for _ in 0..<2 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            try #require(filler >= 0)
            _ = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) }
            }
            descriptors.append(filler)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.descriptors = descriptors
    }

    func close() { for descriptor in descriptors { _ = Glibc.close(descriptor) } }
}
