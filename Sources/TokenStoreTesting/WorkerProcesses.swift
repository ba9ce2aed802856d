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
        // SpawnedProcess, not Foundation's Process: a worker's end could not be noticed
        // while another child (a restarted test server) held its descriptors.
        var running: [SpawnedProcess.Piped] = []
        let reaped = Mutex<Set<pid_t>>([])
        do {
            for _ in 0..<processes {
                running.append(try SpawnedProcess.spawnPiped(executable, ["take", url] + tokens.map(hex)))
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
        let watchdog = DispatchWorkItem {
            reaped.withLock { reaped in
                for child in children where !reaped.contains(child.pid) { child.send(SIGKILL) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        defer { watchdog.cancel() }

        var outputs: [String] = []
        for worker in running {
            outputs.append(SpawnedProcess.Piped.readBlocking(worker.output, until: "ready\n"))
        }
        for worker in running {
            try? worker.input.write(contentsOf: Data("go\n".utf8))
            try? worker.input.close()
        }
        var results: [Result] = []
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
            var won: [String] = []
            var finished = false
            for line in text.split(separator: "\n") {
                if line.hasPrefix("won "), let name = unhex(line.dropFirst(4)) { won.append(name) }
                if line == "done" { finished = true }
            }
            results.append(Result(status: outcome.status, finished: finished, won: won, output: text))
        }
        return results
    }
}
