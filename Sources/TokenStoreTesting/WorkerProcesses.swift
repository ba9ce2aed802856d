import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

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
    /// at once and returns what each took.
    static func race(executable: String, url: String, tokens: [String], processes: Int) async throws -> [Result] {
        let runs = try await run(
            executable: executable, arguments: Array(repeating: ["take", url] + tokens.map(hex), count: processes))
        return runs.map { run in
            var won: [String] = []
            for line in run.output.split(separator: "\n") where line.hasPrefix("won ") {
                if let name = unhex(line.dropFirst(4)) { won.append(name) }
            }
            return Result(status: run.status, finished: run.finished, won: won, output: run.output)
        }
    }

    /// What one worker printed and how it ended.
    struct Run: Sendable {
        var status: Int32
        /// Whether it printed `done`.
        var finished: Bool
        var output: String
    }

    /// Starts one worker per argument list, waits until each prints `ready`, releases them
    /// all at once (a line on standard input) and collects their output until they exit.
    /// A worker still running after `watchdog` is killed. Runs on its own thread: process
    /// I/O blocks.
    static func run(executable: String, arguments: [[String]], watchdog: Duration = .seconds(120)) async throws -> [Run] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try runBlocking(
                        executable: executable, arguments: arguments, watchdog: watchdog))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// A worker that exits before reading its `go` (a failed start) must not take the test
    /// process down with SIGPIPE: the write then fails with EPIPE, which is ignored.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    private static func runBlocking(executable: String, arguments: [[String]], watchdog: Duration) throws -> [Run] {
        _ = ignoreBrokenPipes
        // SpawnedProcess, not Foundation's Process: a worker's end could not be noticed
        // while another child (a restarted test server) held its descriptors.
        var running: [SpawnedProcess.Piped] = []
        let reaped = Mutex<Set<pid_t>>([])
        do {
            for list in arguments {
                running.append(try SpawnedProcess.spawnPiped(executable, list))
            }
        } catch {
            for worker in running {
                worker.process.send(SIGKILL)
                _ = worker.process.waitBlocking()
            }
            throw error
        }
        // A worker that hangs must not hang the test run.
        let children = running.map(\.process)
        let watchdogItem = DispatchWorkItem {
            reaped.withLock { reaped in
                for child in children where !reaped.contains(child.pid) { child.send(SIGKILL) }
            }
        }
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .seconds(Int(watchdog.components.seconds)), execute: watchdogItem)
        defer { watchdogItem.cancel() }

        var outputs: [String] = []
        for worker in running {
            outputs.append(SpawnedProcess.Piped.readBlocking(worker.output, until: "ready\n"))
        }
        for (index, worker) in running.enumerated() {
            if outputs[index].hasSuffix("ready\n") { try? worker.input.write(contentsOf: Data("go\n".utf8)) }
            try? worker.input.close()
        }
        var runs: [Run] = []
        for (index, worker) in running.enumerated() {
            let text = outputs[index] + SpawnedProcess.Piped.readBlocking(worker.output, until: nil)
            // Waits for the end without reaping, so the watchdog may still signal the
            // child; reaped under the lock, so it never signals a pid that was reused.
            var info = siginfo_t()
            while waitid(P_PID, id_t(worker.process.pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            let outcome = reaped.withLock { reaped in
                defer { reaped.insert(worker.process.pid) }
                return worker.process.waitBlocking()
            }
            let finished = text.split(separator: "\n").contains("done")
            runs.append(Run(status: outcome.status, finished: finished, output: text))
        }
        return runs
    }
}
