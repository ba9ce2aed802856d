import Dispatch
import Foundation
import Glibc
import Testing
import TokenStoreTesting
import TokenStoreKit

@testable import TokenStoreCLI

/// The built `tokenstore bench` binary on SQLite and file stores.
@Suite(.serverTimeLimit) struct BenchBinaryTests {
    @Test func sqliteAndFileSideBySideAsJSONAndSVGLeaveTheirTokensAlone() async throws {
        let directory = try BenchTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = "sqlite://\(directory)/tokens.db"
        let file = "file://\(directory)/files"
        let svg = directory + "/latency.svg"
        let bystanders = BenchTestSupport.Bystanders.make()
        try await bystanders.save(into: sqlite)
        try await bystanders.save(into: file)

        let (status, output, error) = try await BenchTestSupport.runBinary([
            "bench", sqlite, file, "--json", "--count", "60", "--concurrency", "2", "--keys", "20", "--warmup", "5",
            "--histogram", svg,
        ])
        #expect(status == 0, "stderr: \(error)")
        let document = try BenchTestSupport.decode(output)
        BenchTestSupport.expectComplete(document, operations: ["put", "get", "take", "mixed"], stores: 2)
        #expect(document.stores.map(\.store) == [sqlite, file])

        let series = try BenchTestSupport.svgSeries(try Data(contentsOf: URL(fileURLWithPath: svg)))
        #expect(series.count == 8)
        for operation in ["put", "get", "take", "mixed"] {
            #expect(series.filter { $0.operation == operation }.map(\.store) == [sqlite, file])
        }
        try await bystanders.expectAlone(in: sqlite)
        try await bystanders.expectAlone(in: file)
        #expect(!output.contains("real-secret") && !error.contains("real-secret"))
    }

    @Test func tableOnSQLiteParses() async throws {
        let directory = try BenchTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = "sqlite://\(directory)/tokens.db"
        let (status, output, error) = try await BenchTestSupport.runBinary([
            "bench", sqlite, "--duration", "0.3", "--warmup", "50ms", "--operations", "get,mixed",
        ])
        #expect(status == 0, "stderr: \(error)")
        let rows = BenchTestSupport.tableRows(output)
        #expect(rows.first == BenchTableRenderer.columns)
        #expect(rows.dropFirst().map { $0[0] } == ["get", "mixed"])
        for row in rows.dropFirst() {
            #expect(row[1] == "1:sqlite")
            let numbers = row[2...].compactMap(Double.init)
            #expect(numbers.count == 8)
            // ops/s, count and CPU per operation above zero; no errors.
            #expect(numbers[0] > 0 && numbers[5] > 0 && numbers[6] > 0 && numbers[7] == 0, "\(row)")
            #expect(numbers[1] <= numbers[2] && numbers[2] <= numbers[3] && numbers[3] <= numbers[4], "\(row)")
        }
        #expect(error.contains("cleaning up"))
    }

    @Test func anUnopenableStoreExitsWith1AndNamesIt() async throws {
        let (status, output, error) = try await BenchTestSupport.runBinary([
            "bench", "memory:", "sqlite:///nonexistent-dir-\(UUID().uuidString)/x.db?password=hunter2", "--count", "5",
        ])
        #expect(status == 1)
        #expect(output.isEmpty)
        #expect(error.contains("cannot open store 2"))
        #expect(!error.contains("hunter2"))
    }

    @Test func ctrlCStopsTheRunDeletesTheBenchTokensAndExitsWith130() async throws {
        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found")
        let directory = try BenchTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = "sqlite://\(directory)/tokens.db"
        let bystanders = BenchTestSupport.Bystanders.make()
        try await bystanders.save(into: sqlite)

        let outPath = directory + "/out"
        let errPath = directory + "/err"
        let child = try SpawnedProcess.spawn(
            binary.path, ["bench", sqlite, "--duration", "120", "--warmup", "0", "--operations", "take,mixed", "--json"],
            standardOutput: outPath, standardError: errPath)
        let ended = Task { await child.wait() }
        // Wait (at most a minute) until the measured take phase has begun.
        var progress = ""
        for _ in 0..<600 where !progress.contains("take (") {
            try await Task.sleep(for: .milliseconds(100))
            progress = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        }
        #expect(progress.contains("take ("))
        try await Task.sleep(for: .milliseconds(300))
        child.send(SIGINT)
        #expect(await ended.value.status == 130)
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let document = try BenchTestSupport.decode(output)
        #expect(document.interrupted)
        #expect(document.stores.first?.cleanupFailures == 0)
        try await bystanders.expectAlone(in: sqlite)
    }
}
