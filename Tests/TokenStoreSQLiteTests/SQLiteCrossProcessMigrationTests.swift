import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLite
import TokenStoreSQLiteMigrations
import TokenStoreTesting

@Suite("SQLite migrations across processes", .serverTimeLimit)
struct SQLiteCrossProcessMigrationTests {
    /// `tokenstore-test-worker`, built beside the test binary.
    static func worker() -> String? {
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("tokenstore-test-worker").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// Runs the worker (it opens `url`, migrating it, and takes no tokens); returns its
    /// exit status and output. Waits without blocking a cooperative thread, through
    /// SpawnedProcess rather than Foundation's Process (see SpawnedProcess for why).
    static func runWorker(_ executable: String, url: String) async throws -> (Int32, String) {
        let worker = try SpawnedProcess.spawnPiped(executable, ["take", url])
        try worker.input.write(contentsOf: Data("go\n".utf8))
        try worker.input.close()
        let output = await worker.read()
        return (await worker.process.wait().status, output)
    }

    @Test("processes opening a fresh database at once migrate it once")
    func concurrentProcesses() async throws {
        let executable = try #require(Self.worker(), "tokenstore-test-worker not found beside the test binary")
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/fresh.db"
        let results = try await withThrowingTaskGroup(of: (Int32, String).self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await Self.runWorker(executable, url: "sqlite://" + path)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (status, output) in results {
            #expect(status == 0, "worker failed: \(output)")
            #expect(output.contains("ready") && output.contains("done"), "worker output: \(output)")
        }
        let rows = try RawSQLite(path: path).rows("SELECT version FROM schema_migrations ORDER BY version")
        #expect(rows == SQLiteMigrations.all.map { ["\($0.version)"] })
        let store = try await SQLiteTokenStore(configuration: .init(path: path))
        #expect(try await store.schemaVersion() == SQLiteMigrations.latestVersion)
    }
}
