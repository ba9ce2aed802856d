import Foundation
import Testing
import TokenStoreIO
import TokenStoreKit

@testable import TokenStorePostgres

/// Concurrent single-statement calls carried in one libpq pipeline (`CallCoalescer`).
extension PostgresServerTests {
    @Suite("PostgreSQL pipelining", .serverTimeLimit)
    struct Pipelining {
        /// A store whose few leaders make concurrent calls queue and ride in pipelines.
        static func openStore() async throws -> PostgresTokenStore {
            try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=2"))
        }

        static func token(_ user: Int) -> AccessToken {
            AccessToken(
                provider: "pipe", userID: String(user), token: "token-\(user)", secret: "secret-\(user)",
                createdAt: Date(milliseconds: 1_700_000_000_000), metadata: ["n": String(user)])
        }

        @Test("many concurrent callers each get their own row")
        func distinctResults() async throws {
            let store = try await Self.openStore()
            let users = 200
            _ = try await store.saveAccessTokens((0..<users).map(Self.token), policy: .overwrite)
            let before = store.coalescer.followersCarried
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<64 {
                    group.addTask {
                        for round in 0..<20 {
                            let user = (caller * 7 + round * 13) % (users + 10)
                            let token = try await store.accessToken(for: AccessTokenKey(provider: "pipe", userID: String(user)))
                            if user < users {
                                #expect(token?.token == "token-\(user)")
                                #expect(token?.metadata == ["n": String(user)])
                            } else {
                                #expect(token == nil)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(store.coalescer.followersCarried > before, "no call rode in a pipeline")
            try await store.close()
        }

        @Test("concurrent writes, takes and reads keep their semantics when pipelined")
        func writesAndTakes() async throws {
            let store = try await Self.openStore()
            let taken = try await withThrowingTaskGroup(of: Int.self) { group in
                for caller in 0..<48 {
                    group.addTask {
                        let name = "rt-\(caller)"
                        try await store.saveRequestToken(
                            RequestToken(provider: "pipe", token: name, secret: "s-\(caller)", createdAt: Date()))
                        try await store.saveAccessToken(Self.token(1000 + caller))
                        #expect(try await store.accessToken(for: AccessTokenKey(provider: "pipe", userID: String(1000 + caller)))?.secret == "secret-\(1000 + caller)")
                        // Two takes of one token race: exactly one gets it.
                        async let first = store.takeRequestToken(name)
                        async let second = store.takeRequestToken(name)
                        let results = try await [first, second]
                        let winners = results.compactMap { $0 }
                        #expect(winners.count == 1)
                        #expect(winners.first?.secret == "s-\(caller)")
                        return winners.count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(taken == 48)
            #expect(try await store.counts() == TokenCounts(requestTokens: 0, accessTokens: 48))
            try await store.close()
        }

        @Test("a corrupt row fails only the caller that reads it")
        func corruptRowIsolated() async throws {
            let store = try await Self.openStore()
            _ = try await store.saveAccessTokens((0..<40).map(Self.token), policy: .overwrite)
            let schema = PostgresStatements.quote(store.configuration.schema)
            _ = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(
                    sql: "UPDATE \(schema).access_tokens SET metadata = '{\"n\": 1}'::jsonb WHERE user_id = '13'", deadline: deadline)
            }
            let codes = try await withThrowingTaskGroup(of: (Int, TokenStoreError.Code?).self) { group in
                for caller in 0..<40 {
                    group.addTask {
                        let error = await storeError {
                            let token = try await store.accessToken(for: AccessTokenKey(provider: "pipe", userID: String(caller)))
                            #expect(token?.token == "token-\(caller)")
                        }
                        return (caller, error?.code)
                    }
                }
                return try await group.reduce(into: [Int: TokenStoreError.Code?]()) { $0[$1.0] = $1.1 }
            }
            for caller in 0..<40 {
                let code: TokenStoreError.Code? = codes[caller] ?? nil
                #expect(code == (caller == 13 ? .corruptedRecord : nil), "caller \(caller)")
            }
            try await store.close()
        }

        @Test("a statement error in a pipeline fails only that statement; a write after it still runs once")
        func statementErrorIsolated() async throws {
            let store = try await Self.openStore()
            let schema = PostgresStatements.quote(store.configuration.schema)
            let divide = { (divisor: String) in
                PipelinedStatement(name: "test_divide", sql: "SELECT 60 / $1::int", parameters: [divisor], readOnly: true)
            }
            let insert = PipelinedStatement(
                name: "test_insert_migration",
                sql: "INSERT INTO \(schema).schema_migrations (version, name) VALUES ($1::int, 'pipelined')",
                parameters: ["1000"], readOnly: false)
            let statements = [divide("1"), divide("0"), insert, divide("2"), divide("x"), divide("3"), divide("4")]
            let outcomes = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                await connection.executePipeline(statements, deadline: deadline)
            }
            #expect(outcomes.count == statements.count)
            func value(_ index: Int) -> String? { (try? outcomes[index].get())?.first?.first ?? nil }
            func sqlState(_ index: Int) -> String? {
                if case .failure(let failure) = outcomes[index] { return failure.sqlState }
                return nil
            }
            #expect(value(0) == "60")
            #expect(sqlState(1) == "22012")  // division by zero
            #expect((try? outcomes[2].get())?.affected == 1)
            #expect(value(3) == "30")
            #expect(sqlState(4) == "22P02")  // invalid input syntax for integer
            #expect(value(5) == "20")
            #expect(value(6) == "15")
            // The connection is usable afterwards, and the write ran exactly once.
            let rows = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(sql: "SELECT count(*) FROM \(schema).schema_migrations WHERE version = 1000", deadline: deadline)
            }
            #expect(rows.first?.first == "1")
            #expect(try await store.counts() == TokenCounts(requestTokens: 0, accessTokens: 0))
            try await store.close()
        }

        @Test("the statement timeout applies to each pipelined statement on its own")
        func statementTimeoutPerStatement() async throws {
            let store = try await PostgresTokenStore(
                url: try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=2&operation_timeout=0.3"))
            let sleep = { (seconds: String) in
                PipelinedStatement(name: "test_sleep", sql: "SELECT pg_sleep($1::float8)::text || $1", parameters: [seconds], readOnly: true)
            }
            // Four 0.1 s reads share a sync point: together longer than the timeout, each
            // shorter. The 1 s read alone times out, and only it.
            let statements = [sleep("0.1"), sleep("0.1"), sleep("0.1"), sleep("0.1"), sleep("1"), sleep("0.1")]
            let outcomes = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                await connection.executePipeline(statements, deadline: deadline)
            }
            for index in [0, 1, 2, 3, 5] { #expect((try? outcomes[index].get())?.first?.first == "0.1", "statement \(index)") }
            if case .failure(let failure) = outcomes[4] {
                #expect(failure.sqlState == "57014")  // query_canceled by statement_timeout
            } else {
                Issue.record("the 1 s statement did not time out")
            }
            try await store.close()
        }

        @Test("a cancelled caller queued behind the leaders gets an error, the others their rows")
        func cancelledWhileQueued() async throws {
            let store = try await Self.openStore()
            _ = try await store.saveAccessTokens((0..<4).map(Self.token), policy: .overwrite)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<32 {
                    group.addTask {
                        let key = AccessTokenKey(provider: "pipe", userID: String(caller % 4))
                        if caller % 5 == 0 {
                            let task = Task { try await store.accessToken(for: key) }
                            task.cancel()
                            // Either it finished before the cancellation was seen, or it failed typed.
                            switch await task.result {
                            case .success(let token): #expect(token?.token == "token-\(caller % 4)")
                            case .failure(let error): #expect((error as? TokenStoreError)?.code == .timedOut)
                            }
                        } else {
                            let token = try await store.accessToken(for: key)
                            #expect(token?.token == "token-\(caller % 4)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await store.close()
        }

        @Test("a leader cancelled while it waits for a connection passes its followers on instead of failing them")
        func leaderCancelledBeforeSending() async throws {
            // One connection and so one leader; the test holds the connection so that
            // leaders wait for it.
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=1"))
            _ = try await store.saveAccessTokens((0..<4).map(Self.token), policy: .overwrite)
            func key(_ user: Int) -> AccessTokenKey { AccessTokenKey(provider: "pipe", userID: String(user)) }
            func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
                let end = ContinuousClock.now + .seconds(60)
                while !condition() {
                    guard ContinuousClock.now < end else { throw WaitTimedOut(what: what) }
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            let (held, heldSignal) = AsyncStream<Void>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await store.withConnection("hold", gated: false) { _, _ throws(LibPQFailure) in
                    heldSignal.yield()
                    for await _ in release { break }
                }
            }
            for await _ in held { break }

            // A lone call takes the leader slot and waits for the connection; three more queue.
            let lone = Task { try await store.accessToken(for: key(0)) }
            try await waitUntil("the lone call leads") { store.coalescer.leaderCount == 1 }
            let first = Task { try await store.accessToken(for: key(1)) }
            try await waitUntil("the first follower queues") { store.coalescer.queuedCount == 1 }
            let second = Task { try await store.accessToken(for: key(2)) }
            let third = Task { try await store.accessToken(for: key(3)) }
            try await waitUntil("three followers queue") { store.coalescer.queuedCount == 3 }
            let carried = store.coalescer.followersCarried

            // Cancelling the lone call hands the slot to `first`, which takes the other two and
            // waits for the connection in turn; then `first` is cancelled too.
            lone.cancel()
            try await waitUntil("the first follower leads the other two") { store.coalescer.followersCarried == carried + 2 }
            first.cancel()
            // The two it carried queue again and the second of them leads the third. (Had
            // they been failed with the leader's cancellation, this never happens: the
            // checks below then report their errors.)
            try? await waitUntil("the second follower leads the third") { store.coalescer.followersCarried == carried + 3 }

            releaseSignal.yield()
            try await holder.value
            for (follower, user) in [(second, 2), (third, 3)] {
                do {
                    #expect(try await follower.value?.token == "token-\(user)")
                } catch {
                    Issue.record("a follower failed with its leader's cancellation: \(error)")
                }
            }
            // The cancelled calls either failed or finished; neither may hang.
            _ = await lone.result
            _ = await first.result
            try await store.close()
        }

        struct WaitTimedOut: Error, CustomStringConvertible {
            let what: String
            var description: String { "timed out waiting until \(what)" }
        }
    }
}

extension PipelinedStatement {
    /// An ad-hoc statement for these tests.
    init(name: String, sql: String, parameters: [String?], readOnly: Bool) {
        self.init(PostgresStatements.Statement(name: name, sql: sql), parameters: parameters, readOnly: readOnly)
    }
}
