import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLite
import TokenStoreTesting

@Suite("SQLite conformance")
struct SQLiteConformanceTests {
    @Test("a database file, shared with other processes")
    func file() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        try await TokenStoreConformance(
            name: "sqlite-file",
            capabilities: .init(crossProcessURL: "sqlite://" + path)
        ) { clock in
            try await SQLiteTokenStore(path: path, configuration: .init(clock: clock))
        }.run()
    }

    @Test("a database file with one connection")
    func singleConnection() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        try await TokenStoreConformance(name: "sqlite-file-1") { clock in
            try await SQLiteTokenStore(path: path, configuration: .init(clock: clock, connections: 1))
        }.run()
    }

    @Test("an in-memory database")
    func memory() async throws {
        try await TokenStoreConformance(name: "sqlite-memory") { clock in
            try await SQLiteTokenStore(path: ":memory:", configuration: .init(clock: clock))
        }.run()
    }
}
