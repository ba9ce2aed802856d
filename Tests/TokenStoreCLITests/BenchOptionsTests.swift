import ArgumentParser
import Foundation
import Testing

@testable import TokenStoreCLI

@Suite(.inProcessTimeLimit) struct BenchOptionsTests {
    @Test func warmupIsATimeOrACount() throws {
        #expect(try BenchBudget.parseWarmup("2s") == .duration(.seconds(2)))
        #expect(try BenchBudget.parseWarmup("500ms") == .duration(.milliseconds(500)))
        #expect(try BenchBudget.parseWarmup("1.5s") == .duration(.milliseconds(1500)))
        #expect(try BenchBudget.parseWarmup("250") == .count(250))
        #expect(try BenchBudget.parseWarmup("0") == .count(0))
        for bad in ["", "-1", "2h", "s", "fast", "-2s", "nan s"] {
            #expect(throws: CLIFailure.self, "\(bad)") { try BenchBudget.parseWarmup(bad) }
        }
    }

    @Test func operationsKeepTheirOrderAndRejectUnknownNames() throws {
        #expect(try BenchOperation.parseList("take, get,take") == [.take, .get])
        #expect(try BenchOperation.parseList("put,get,take,mixed") == BenchOperation.defaults)
        #expect(try BenchOperation.parseList("set-cas,Set-Get,set-put") == [.setCAS, .setGet, .setPut])
        #expect(throws: CLIFailure.self) { try BenchOperation.parseList("put,scan") }
        #expect(throws: CLIFailure.self) { try BenchOperation.parseList(",") }
    }

    @Test func defaultsAndFlagsBecomeSettings() throws {
        let plain = try #require(try TokenStoreCommand.parseAsRoot(["bench", "memory:"]) as? BenchCommand)
        let settings = try plain.settings()
        #expect(settings.operations == BenchOperation.defaults)
        #expect(settings.budget == .duration(.seconds(5)))
        #expect(settings.warmup == .duration(.seconds(1)))
        #expect(settings.concurrency == 4)

        let counted = try #require(
            try TokenStoreCommand.parseAsRoot([
                "bench", "memory:", "memory:x", "--count", "300", "--concurrency", "2", "--operations", "get",
            ]) as? BenchCommand)
        #expect(counted.urls == ["memory:", "memory:x"])
        #expect(try counted.settings() == BenchSettings(
            operations: [.get], budget: .count(300), warmup: .count(30), concurrency: 2, keyCount: 1000))
    }

    @Test(arguments: [
        ["bench"], ["bench", "memory:", "--count", "5", "--duration", "1"], ["bench", "memory:", "--concurrency", "0"],
        ["bench", "memory:", "--duration", "-1"], ["bench", "memory:", "--operations", "nope"],
        ["bench", "memory:", "--warmup", "soon"], ["bench", "memory:", "--keys", "0"],
    ])
    func badFlagsAreUsageErrors(arguments: [String]) {
        do {
            _ = try TokenStoreCommand.parseAsRoot(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            #expect(TokenStoreCommand.exitCode(for: error).rawValue == 64, "\(arguments): \(error)")
        }
    }
}
