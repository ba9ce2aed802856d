import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLite
import TokenStoreTesting

/// The conformance suite, one test per case, against a database file (raced by worker
/// processes through its URL), a file with a single connection (writer and readers
/// share it), and `:memory:`.
@Suite("SQLite conformance", .serverTimeLimit)
struct SQLiteConformanceTests {
    @Test("a database file, shared with other processes", arguments: TokenStoreConformance.caseNames)
    func file(caseName: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        try await TokenStoreConformance(
            name: "sqlite-file",
            capabilities: .init(crossProcessURL: "sqlite://" + path)
        ) { clock in
            try await SQLiteTokenStore(configuration: .init(path: path, clock: clock))
        }.run(case: caseName)
    }

    @Test("a database file with one connection", arguments: TokenStoreConformance.caseNames)
    func singleConnection(caseName: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        try await TokenStoreConformance(
            name: "sqlite-file-1",
            capabilities: .init(crossProcessURL: "sqlite://" + path + "?pool_max=1", refreshRace: false)
        ) { clock in
            try await SQLiteTokenStore(configuration: .init(path: path, clock: clock, maxConnections: 1))
        }.run(case: caseName)
    }

    @Test("an in-memory database", arguments: TokenStoreConformance.caseNames)
    func memory(caseName: String) async throws {
        try await TokenStoreConformance(name: "sqlite-memory") { clock in
            try await SQLiteTokenStore(configuration: .init(path: ":memory:", clock: clock))
        }.run(case: caseName)
    }

    @Test("the authorization flow with a SQLite store")
    func authorizationFlow() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/flow.db"
        try await AuthorizationFlowConformance(name: "sqlite") { clock in
            try await SQLiteTokenStore(configuration: .init(path: path, clock: clock))
        }.run()
    }
}
