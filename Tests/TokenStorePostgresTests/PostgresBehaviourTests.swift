import Foundation
import Logging
import ServiceLifecycle
import Testing
import TokenStoreIO
import TokenStoreKit

@testable import TokenStorePostgres

/// Tests against the throwaway server that do not stop it (the outage test lives in
/// ``PostgresOutageTests``, serialized after these).
extension PostgresServerTests {
    @Suite("PostgreSQL behaviour", .serverTimeLimit)
    struct Behaviour {
        @Test("migrations are applied once when eight stores open a fresh schema together")
        func concurrentMigration() async throws {
            // Seven opens wait on the first one's advisory lock; on a busy machine that can
            // take longer than the default operation timeout, which is not what this checks.
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&operation_timeout=120")
            let stores = try await withThrowingTaskGroup(of: PostgresTokenStore.self) { group in
                for _ in 0..<8 { group.addTask { try await PostgresTokenStore(url: url) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for store in stores { #expect(try await store.schemaVersion() == 2) }
            let store = try #require(stores.first)
            let rows = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(sql: "SELECT count(*) FROM \(PostgresStatements.quote(store.configuration.schema)).schema_migrations", deadline: deadline)
            }
            // One row per migration (0001, 0002): none applied twice.
            #expect(rows.first?.first == "2")
            for store in stores { try await store.close() }
        }

        @Test("a schema migrated by a newer version: schemaTooNew")
        func schemaTooNew() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            let store = try await PostgresTokenStore(url: url)
            let schema = PostgresStatements.quote(store.configuration.schema)
            _ = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(sql: "INSERT INTO \(schema).schema_migrations (version, name) VALUES (99, '0099_future')", deadline: deadline)
            }
            try await store.close()
            await #expect(throws: TokenStoreError.self) {
                do {
                    _ = try await PostgresTokenStore(url: url)
                } catch let error as TokenStoreError {
                    #expect(error.code == .schemaTooNew)
                    throw error
                }
            }
        }

        @Test("a wrong password: authenticationFailed, the password not shown")
        func wrongPassword() async throws {
            let base = try PostgresTestServer.requireURL()
            var components = try #require(URLComponents(string: base))
            components.password = "wrong-password-Xy7"
            let error = try #require(await storeError { _ = try await PostgresTokenStore(url: components.string!) })
            #expect(error.code == .authenticationFailed)
            #expect(!error.description.contains("wrong-password-Xy7"))
            #expect(!String(reflecting: error).contains("wrong-password-Xy7"))
        }

        @Test("an unknown database: misconfigured")
        func unknownDatabase() async throws {
            var components = try #require(URLComponents(string: try PostgresTestServer.requireURL()))
            components.path = "/no_such_database_here"
            let error = try #require(await storeError { _ = try await PostgresTokenStore(url: components.string!) })
            #expect(error.code == .misconfigured)
            #expect(error.description.contains("does not exist"))
        }

        @Test("nothing listening: unavailable, quickly")
        func refused() async throws {
            let error = try #require(await storeError { _ = try await PostgresTokenStore(url: "postgres://u:p@127.0.0.1:1/db") })
            #expect(error.code == .unavailable)
        }

        @Test("a host name (resolved off the cooperative pool) connects like an address")
        func hostName() async throws {
            var components = try #require(URLComponents(string: try PostgresTestServer.requireURL()))
            components.host = "localhost"
            let url = try #require(components.string) + "?schema=t_hostname_\(UInt32.random(in: 0...UInt32.max))"
            let store = try await PostgresTokenStore(url: url)
            #expect(try await store.schemaVersion() == 2)
            try await store.close()
        }

        @Test("an unknown host name: unavailable, naming the host")
        func unknownHost() async throws {
            let error = try #require(await storeError { _ = try await PostgresTokenStore(url: "postgres://u:p@no-such-host.invalid/db") })
            #expect(error.code == .unavailable)
            #expect(error.description.contains("no-such-host.invalid"))
        }

        @Test("sslmode=require against a server without TLS: misconfigured, saying TLS")
        func tlsRequired() async throws {
            let base = try PostgresTestServer.requireURL()
            let error = try #require(await storeError { _ = try await PostgresTokenStore(url: base + "?sslmode=require") })
            #expect(error.code == .misconfigured)
            #expect(error.description.contains("TLS"))
        }

        @Test("a pool of one with its connection held: timedOut after the acquire timeout")
        func poolTimeout() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=1&pool_acquire_timeout=0.2")
            let store = try await PostgresTokenStore(url: url)
            try await store.withConnection("hold") { _, _ throws(LibPQFailure) in
                let error = await storeError { _ = try await store.counts() }
                #expect(error?.code == .timedOut)
            }
            _ = try await store.counts()
            try await store.close()
        }

        @Test("a statement over the statement timeout: timedOut, and the store keeps working")
        func statementTimeout() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&operation_timeout=0.2")
            let store = try await PostgresTokenStore(url: url)
            let error = await storeError {
                _ = try await store.withConnection("sleep") { connection, deadline throws(LibPQFailure) in
                    try await connection.execute(sql: "SELECT pg_sleep(2)", deadline: deadline)
                }
            }
            #expect(error?.code == .timedOut)
            #expect(try await store.counts().accessTokens == 0)
            try await store.close()
        }

        @Test("close, then calls: closed; closing twice is fine")
        func closeTwice() async throws {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema())
            try await store.close()
            try await store.close()
            let error = await storeError { _ = try await store.counts() }
            #expect(error?.code == .closed)
        }

        @Test("runs as a Service until its task is cancelled, then closes")
        func service() async throws {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema(extra: "&pool_min=2"))
            let runner = Task { try await store.run() }
            while store.pool.statistics.idle < 2 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(store.pool.statistics.open == 2)
            runner.cancel()
            try await runner.value
            let error = await storeError { _ = try await store.counts() }
            #expect(error?.code == .closed)
        }
    }
}

/// Runs `body` and returns the ``TokenStoreError`` it threw, if any.
func storeError(_ body: () async throws -> Void) async -> TokenStoreError? {
    do {
        try await body()
        return nil
    } catch let error as TokenStoreError {
        return error
    } catch {
        Issue.record("expected a TokenStoreError, got \(error)")
        return nil
    }
}
