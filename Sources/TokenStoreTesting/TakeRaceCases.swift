import Foundation
import Synchronization
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

/// Spawns `tokenstore-test-worker` processes and collects what they took.
enum WorkerProcesses {
    struct Result: Sendable {
        var status: Int32
        var finished: Bool
        var won: [String]
        var output: String
    }

    /// The worker executable: `explicit`, or `tokenstore-test-worker` beside the running
    /// test binary or a few directories above it (an `.xctest` bundle on macOS).
    static func locate(_ explicit: String?) -> String? {
        let fileManager = FileManager.default
        if let explicit { return fileManager.isExecutableFile(atPath: explicit) ? explicit : nil }
        var starts: [URL] = []
        if let first = CommandLine.arguments.first {
            starts.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        if let executable = Bundle.main.executableURL { starts.append(executable.deletingLastPathComponent()) }
        for start in starts {
            var directory = start
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("tokenstore-test-worker").path
                if fileManager.isExecutableFile(atPath: candidate) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
        }
        return nil
    }

    /// Hex of the UTF-8 bytes, so any token name passes through argv and stdout intact.
    static func hex(_ text: String) -> String {
        text.utf8.map { String(format: "%02x", $0) }.joined()
    }

    static func unhex(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Starts `processes` workers, waits until each has opened the store, releases them
    /// at once and returns what each took. Runs on its own thread: process I/O blocks.
    static func race(executable: String, url: String, tokens: [String], processes: Int) async throws -> [Result] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try raceBlocking(
                        executable: executable, url: url, tokens: tokens, processes: processes))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private static func raceBlocking(executable: String, url: String, tokens: [String], processes: Int) throws -> [Result] {
        struct Running {
            let process: Process
            let input: Pipe
            let output: Pipe
            var buffer: Data
        }
        var running: [Running] = []
        for _ in 0..<processes {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["take", url] + tokens.map(hex)
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            running.append(Running(process: process, input: input, output: output, buffer: Data()))
        }
        // A worker that hangs must not hang the test run.
        let watchdog = DispatchWorkItem {
            for worker in running where worker.process.isRunning { worker.process.terminate() }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        defer { watchdog.cancel() }

        let ready = Data("ready\n".utf8)
        for index in running.indices {
            while running[index].buffer.range(of: ready) == nil {
                let chunk = running[index].output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                running[index].buffer.append(chunk)
            }
        }
        for worker in running {
            try? worker.input.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
            try? worker.input.fileHandleForWriting.close()
        }
        var results: [Result] = []
        for var worker in running {
            worker.buffer.append(worker.output.fileHandleForReading.readDataToEndOfFile())
            worker.process.waitUntilExit()
            let text = String(decoding: worker.buffer, as: UTF8.self)
            var won: [String] = []
            var finished = false
            for line in text.split(separator: "\n") {
                if line.hasPrefix("won "), let name = unhex(line.dropFirst(4)) { won.append(name) }
                if line == "done" { finished = true }
            }
            results.append(Result(status: worker.process.terminationStatus, finished: finished, won: won, output: text))
        }
        return results
    }
}
