import Foundation
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStorePostgres

extension PostgresServerTests {
    /// A call that ends early (task cancelled, deadline passed) while its statement runs
    /// stops the statement on the server and gets its connection back in step.
    @Suite("PostgreSQL cancel requests", .serverTimeLimit)
    struct CancelRequests {
        @Test("a cancelled call stops its statement on the server, returns at once and leaves the connection reusable")
        func cancelledCallCancelsStatement() async throws {
            // One connection, and a server-side limit far beyond the test: only a cancel
            // request can end the statement early.
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=1&operation_timeout=600")
            let store = try await PostgresTokenStore(url: url)
            let observer = try await PostgresTokenStore(url: url)
            let pid = try await backendPID(of: store)
            let marker = "ts_cancel_\(UInt32.random(in: 0...UInt32.max))"
            let call = Task {
                try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                    try await connection.execute(sql: "SELECT pg_sleep(600) AS \(marker)", deadline: deadline)
                }
            }
            try await eventually("the statement runs on the server") { try await isRunning(marker, pid: pid, seenBy: observer) }

            let cancelledAt = ContinuousClock.now
            call.cancel()
            let error = await storeError { _ = try await call.value }
            #expect(error?.code == .timedOut)
            #expect(error?.message.contains("cancelled") == true)
            #expect(ContinuousClock.now - cancelledAt < .seconds(30), "the caller waited for the statement")

            try await eventually("the server stopped the statement") { try await !isRunning(marker, pid: pid, seenBy: observer) }
            // pool_max=1: the same backend answers, so the connection went back to the pool in step.
            #expect(try await backendPID(of: store) == pid)
            try await store.close()
            try await observer.close()
        }

        @Test("a call whose deadline passes stops its statement on the server and leaves the connection reusable")
        func timedOutCallCancelsStatement() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=1&operation_timeout=600")
            let store = try await PostgresTokenStore(url: url)
            let observer = try await PostgresTokenStore(url: url)
            let pid = try await backendPID(of: store)
            let marker = "ts_deadline_\(UInt32.random(in: 0...UInt32.max))"
            let error = await storeError {
                _ = try await store.withConnection("test") { connection, _ throws(LibPQFailure) in
                    try await connection.execute(sql: "SELECT pg_sleep(600) AS \(marker)", deadline: .now + .seconds(2))
                }
            }
            #expect(error?.code == .timedOut)
            try await eventually("the server stopped the statement") { try await !isRunning(marker, pid: pid, seenBy: observer) }
            #expect(try await backendPID(of: store) == pid)
            try await store.close()
            try await observer.close()
        }

        @Test("a cancelled call inside a transaction closes its connection: the next call gets a fresh one")
        func cancelledInTransactionIsReplaced() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=1&operation_timeout=600")
            let store = try await PostgresTokenStore(url: url)
            let observer = try await PostgresTokenStore(url: url)
            let pid = try await backendPID(of: store)
            let marker = "ts_cancel_tx_\(UInt32.random(in: 0...UInt32.max))"
            let call = Task {
                try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                    _ = try await connection.execute(sql: "BEGIN", deadline: deadline)
                    return try await connection.execute(sql: "SELECT pg_sleep(600) AS \(marker)", deadline: deadline)
                }
            }
            try await eventually("the statement runs on the server") { try await isRunning(marker, pid: pid, seenBy: observer) }
            call.cancel()
            let error = await storeError { _ = try await call.value }
            #expect(error?.code == .timedOut)
            try await eventually("the server stopped the statement") { try await !isRunning(marker, pid: pid, seenBy: observer) }
            // The aborted transaction is not handed to the next caller.
            let next = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(sql: "SELECT pg_backend_pid(), txid_current_if_assigned() IS NULL", deadline: deadline)
            }
            #expect(next.first?[0] != String(pid))
            #expect(next.first?[1] == "t")
            try await store.close()
            try await observer.close()
        }
    }
}

/// The server process id behind `store`'s (single) connection.
private func backendPID(of store: PostgresTokenStore) async throws -> Int {
    let rows = try await store.withConnection("test", gated: false) { connection, deadline throws(LibPQFailure) in
        try await connection.execute(sql: "SELECT pg_backend_pid()", deadline: deadline)
    }
    return try #require(rows.first?[0].flatMap { Int($0) })
}

/// Whether server process `pid` is running a statement carrying `marker`, per pg_stat_activity.
private func isRunning(_ marker: String, pid: Int, seenBy observer: PostgresTokenStore) async throws -> Bool {
    let rows = try await observer.withConnection("test", gated: false) { connection, deadline throws(LibPQFailure) in
        try await connection.execute(
            sql: "SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid) AND state = 'active' AND query LIKE '%\(marker)%'",
            deadline: deadline)
    }
    return rows.first?[0] == "1"
}
