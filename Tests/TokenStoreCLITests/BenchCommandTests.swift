import ArgumentParser
import Foundation
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreSealing

@testable import TokenStoreCLI

/// `tokenstore bench` run in-process on memory stores, output captured.
@Suite(.inProcessTimeLimit) struct BenchCommandTests {
    static func command(_ arguments: [String]) throws -> BenchCommand {
        try #require(try TokenStoreCommand.parseAsRoot(["bench"] + arguments) as? BenchCommand)
    }

    static func uniqueMemoryURL(_ label: String) -> String {
        "memory:bench-\(label)-\(UUID().uuidString.lowercased())"
    }

    @Test func jsonReportForTwoMemoryStoresLeavesTheirTokensAlone() async throws {
        let first = Self.uniqueMemoryURL("a")
        let second = Self.uniqueMemoryURL("b")
        let bystanders = BenchTestSupport.Bystanders.make()
        try await bystanders.save(into: first)
        try await bystanders.save(into: second)

        let captured = CapturedConsole()
        try await Self.command([first, second, "--json", "--count", "400", "--concurrency", "3", "--keys", "50"])
            .execute(console: captured.console)

        let document = try BenchTestSupport.decode(captured.output)
        BenchTestSupport.expectComplete(document, operations: ["put", "get", "take", "mixed"], stores: 2)
        #expect(document.stores.map(\.store) == [first, second])
        for store in document.stores {
            // --count is the number of measured attempts; none failed, so all are counted.
            #expect(store.operations.allSatisfy { $0.count == 400 })
        }
        #expect(document.stores[0].provider != document.stores[1].provider)
        try await bystanders.expectAlone(in: first)
        try await bystanders.expectAlone(in: second)
        #expect(!captured.output.contains("real-secret") && !captured.error.contains("real-secret"))
    }

    @Test func tableHasAHeaderAndOneRowPerOperationAndStore() async throws {
        let first = Self.uniqueMemoryURL("t1")
        let second = Self.uniqueMemoryURL("t2")
        let captured = CapturedConsole()
        try await Self.command([first, second, "--count", "200", "--operations", "get,take", "--warmup", "10"])
            .execute(console: captured.console)

        let rows = BenchTestSupport.tableRows(captured.output)
        #expect(rows.first == BenchTableRenderer.columns)
        let body = rows.dropFirst()
        #expect(body.map { $0[0] } == ["get", "get", "take", "take"])
        #expect(body.map { $0[1] } == ["1:memory", "2:memory", "1:memory", "2:memory"])
        for row in body {
            #expect(row.count == BenchTableRenderer.columns.count)
            let numbers = row[2...].compactMap(Double.init)
            #expect(numbers.count == 8, "\(row)")
            #expect(numbers[1] <= numbers[2] && numbers[2] <= numbers[3] && numbers[3] <= numbers[4], "\(row)")
            // The process's CPU per operation: spent, and not more than the operations' wall time allows.
            #expect(numbers[5] > 0, "\(row)")
            #expect(row[8] == "200" && row[9] == "0")
        }
        #expect(captured.output.contains("  1  \(first)") && captured.output.contains("  2  \(second)"))
    }

    @Test func svgHoldsOneSeriesPerStoreAndOperationWithEscapedNames() async throws {
        let directory = try BenchTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/latency.svg"
        let awkward = "memory:a<b>&\"c\"'\(UUID().uuidString)"
        let plain = Self.uniqueMemoryURL("svg")
        let captured = CapturedConsole()
        try await Self.command([awkward, plain, "--count", "150", "--operations", "put,mixed", "--histogram", path])
            .execute(console: captured.console)

        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let series = try BenchTestSupport.svgSeries(data)
        #expect(series.map(\.operation) == ["put", "put", "mixed", "mixed"])
        #expect(series.map(\.store) == [awkward, plain, awkward, plain])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("a&lt;b&gt;&amp;&quot;c&quot;&apos;"))
        #expect(text.contains("µs") && text.contains("share of operations (%)"))
        #expect(text.contains("stroke-dasharray"))
        // Colours are plain #RRGGBB values.
        let colours = text.matches(of: /stroke="(#[^"]*)"/).map { String($0.output.1) }
        #expect(!colours.isEmpty)
        #expect(colours.allSatisfy { $0.wholeMatch(of: /#[0-9A-Fa-f]{6}/) != nil }, "\(Set(colours))")
    }

    @Test func failedOperationsAreCountedAndReportedWithExitCode3() async throws {
        TokenStoreRegistry.shared.register(BenchFlakyStore.driver)
        let url = "benchflaky:\(UUID().uuidString)"
        let captured = CapturedConsole()
        await #expect(throws: ExitCode(3)) {
            try await Self.command([url, "--count", "500", "--operations", "get,put", "--warmup", "0"])
                .execute(console: captured.console)
        }
        let rows = BenchTestSupport.tableRows(captured.output).dropFirst()
        let get = try #require(rows.first { $0[0] == "get" })
        let put = try #require(rows.first { $0[0] == "put" })
        // Every fifth read fails: 100 of the 500 attempts.
        #expect(get[8] == "400" && get[9] == "100")
        #expect(put[8] == "500" && put[9] == "0")
        #expect(captured.output.contains("100 get error(s); first: get: ") && captured.output.contains("injected failure"))
        let store = try await StoreDrivers.open(url)
        #expect(try await store.counts() == TokenCounts(requestTokens: 0, accessTokens: 0))
    }

    @Test func anOccupiedRangeIsRefusedAndNothingIsDeleted() async throws {
        TokenStoreRegistry.shared.register(BenchFlakyStore.driver)
        let name = "occupied-\(UUID().uuidString)"
        let captured = CapturedConsole()
        await #expect(throws: ExitCode(1)) {
            try await Self.command(["benchflaky:" + name, "--count", "20"]).execute(console: captured.console)
        }
        #expect(captured.output.contains("already holds tokens; refusing to touch it"))
        #expect(BenchFlakyStore.deletes.withLock { $0[name] } == nil)
    }

    @Test func aStoreThatRefusesWritesIsReportedAndTheNextStoreStillRuns() async throws {
        TokenStoreRegistry.shared.register(BenchFlakyStore.driver)
        let name = "readonly-\(UUID().uuidString)"
        let directory = try BenchTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let svg = directory + "/latency.svg"
        let captured = CapturedConsole()
        await #expect(throws: ExitCode(1)) {
            try await Self.command([
                "benchflaky:" + name, Self.uniqueMemoryURL("after"), "--count", "20", "--json", "--histogram", svg,
            ]).execute(console: captured.console)
        }
        // The picture still draws: the failed store's series say so instead of a curve.
        let data = try Data(contentsOf: URL(fileURLWithPath: svg))
        #expect(try BenchTestSupport.svgSeries(data).count == 8)
        #expect(String(decoding: data, as: UTF8.self).contains("1: no successful operations"))
        let document = try BenchTestSupport.decode(captured.output)
        #expect(document.stores.count == 2)
        #expect(document.stores[0].failure?.contains("read-only") == true)
        #expect(document.stores[0].operations.isEmpty)
        #expect(document.stores[1].failure == nil && document.stores[1].operations.count == 4)
        // The seeding may have written part of the range: clean-up still deletes every key.
        #expect(BenchFlakyStore.deletes.withLock { $0[name] } == 1000)
    }

    @Test func aStoreThatCannotBeOpenedFailsBeforeAnythingRunsWithoutItsPassword() async throws {
        let good = Self.uniqueMemoryURL("good")
        let captured = CapturedConsole()
        do {
            try await Self.command([good, "nosuch://user:hunter2@example/x", "--count", "10"])
                .execute(console: captured.console)
            Issue.record("the run succeeded")
        } catch let failure as CLIFailure {
            #expect(failure.message.contains("cannot open store 2 (nosuch://user:***@example/x)"))
            #expect(!failure.message.contains("hunter2"))
        }
        #expect(captured.output.isEmpty)
        #expect(!captured.error.contains("hunter2"))
    }

    @Test func anUnwritableHistogramPathFailsBeforeTheRun() async throws {
        let captured = CapturedConsole()
        let path = "/nonexistent-\(UUID().uuidString)/latency.svg"
        await #expect(throws: CLIFailure.self) {
            try await Self.command([Self.uniqueMemoryURL("svgfail"), "--count", "10", "--histogram", path])
                .execute(console: captured.console)
        }
        #expect(captured.error.isEmpty && captured.output.isEmpty)
    }

    @Test func anInterruptedRunCleansUpAndExitsWith130() async throws {
        let url = Self.uniqueMemoryURL("interrupt")
        let bystanders = BenchTestSupport.Bystanders.make()
        try await bystanders.save(into: url)
        let interruption = BenchInterruption()
        let captured = CapturedConsole()
        let command = try Self.command([url, "--duration", "60", "--json", "--warmup", "0", "--operations", "take,get"])
        let run = Task { try await command.execute(console: captured.console, interruption: interruption) }
        // Interrupt during the measured take phase, when request tokens are saved ahead.
        while !captured.error.contains("take (") { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(100))
        interruption.request()
        await #expect(throws: ExitCode(130)) { try await run.value }

        let document = try BenchTestSupport.decode(captured.output)
        #expect(document.interrupted)
        #expect(document.stores.first?.operations.map(\.name) == ["take"])
        #expect(document.stores.first?.cleanupFailures == 0)
        try await bystanders.expectAlone(in: url)
    }

    @Test func sealingKeysBenchmarkTheSealedStore() async throws {
        let url = Self.uniqueMemoryURL("sealed")
        let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let captured = CapturedConsole(environment: [SealingKeyRing.environmentVariable: "k1:\(key)"])
        try await Self.command([url, "--count", "50", "--json"]).execute(console: captured.console)
        let document = try BenchTestSupport.decode(captured.output)
        BenchTestSupport.expectComplete(document, operations: ["put", "get", "take", "mixed"], stores: 1)
        #expect(document.stores.first?.store == url + " (sealed)")
        let store = try await StoreDrivers.open(url)
        #expect(try await store.counts() == TokenCounts(requestTokens: 0, accessTokens: 0))

        let broken = CapturedConsole(environment: [SealingKeyRing.environmentVariable: "k1:not-base64!"])
        await #expect(throws: CLIFailure.self) {
            try await Self.command([url, "--count", "5"]).execute(console: broken.console)
        }
    }
}
