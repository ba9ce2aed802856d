import Foundation
import TokenStoreKit

/// `take` under contention: many tasks, and many processes when the driver has a
/// cross-process URL.
enum TakeRaceCases {
    static let tasksPerToken = 32
    static let tokenCount = 6

    static func concurrentTake(_ c: ConformanceContext) async throws {
        let tokens = (0..<tokenCount).map { c.requestToken("race-\($0)") }
        for token in tokens { try await c.store.saveRequestToken(token) }
        let store = c.store
        let wins = try await withThrowingTaskGroup(of: RequestToken?.self) { group in
            for token in tokens {
                for _ in 0..<tasksPerToken {
                    group.addTask { try await store.takeRequestToken(token.token) }
                }
            }
            var wins: [String: Int] = [:]
            for try await result in group {
                if let result { wins[result.token, default: 0] += 1 }
            }
            return wins
        }
        for token in tokens {
            c.checkEqual(wins[token.token, default: 0], 1, "\(tasksPerToken) concurrent takes of \(token.token) must have exactly one winner")
        }
    }

    static func crossProcessTake(_ c: ConformanceContext) async throws {
        guard let url = c.capabilities.crossProcessURL else { return }
        guard let worker = WorkerProcesses.locate(c.capabilities.workerExecutable) else {
            c.fail("crossProcessURL is set but tokenstore-test-worker was not found beside the test binary "
                + "(\(CommandLine.arguments.first ?? "?")); build it (it is a dependency of the test target) "
                + "or set Capabilities.workerExecutable")
            return
        }
        let tokens = (0..<tokenCount).map { index in
            RequestToken(
                provider: c.prefix + "xp", token: c.prefix + "xp-\(index)", secret: "xs-\(UUID())",
                createdAt: Date(), timeToLive: .seconds(600))
        }
        for token in tokens { try await c.store.saveRequestToken(token) }
        let names = tokens.map(\.token)
        let results = try await WorkerProcesses.race(
            executable: worker, url: url, tokens: names, processes: 4)
        var wins: [String: Int] = [:]
        for result in results {
            if result.status != 0 || !result.finished {
                c.fail("worker exited with status \(result.status): \(result.output.suffix(2000))")
            }
            for token in result.won { wins[token, default: 0] += 1 }
        }
        for name in names {
            c.checkEqual(wins[name, default: 0], 1, "takes of \(name) raced by 4 processes must have exactly one winner")
        }
        for name in names {
            let left = try await c.store.takeRequestToken(name)
            c.check(left == nil, "a token taken by a worker process was still in the store")
        }
    }
}
