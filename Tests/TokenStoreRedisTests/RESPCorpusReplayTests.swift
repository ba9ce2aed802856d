import Foundation
import Testing
import TokenStoreTesting

/// The fuzz target's seed corpus (and every crash input added to it) replayed on each test
/// run: `resp-fuzz` built without the fuzzer runs the same checks over the files it is given.
@Suite("RESP fuzz corpus replay", .serverTimeLimit)
struct RESPCorpusReplayTests {
    @Test("the parser passes the fuzz target's checks on every corpus input")
    func replayCorpus() async throws {
        let corpus = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/RESPParserFuzz/Corpus").path
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus)
        #expect(files.count >= 30, "the seed corpus is missing from \(corpus)")
        let replayer = try #require(Self.locateReplayer(), "resp-fuzz was not built beside the test binary")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("resp-replay-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = try SpawnedProcess.spawn(replayer, [corpus], standardOutput: output, standardError: output)
        let outcome = await process.wait()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(outcome.status == 0 && outcome.signal == nil, "resp-fuzz failed on the corpus: \(text)")
        #expect(text.contains("replayed \(files.count) inputs"), "\(text)")
    }

    /// `resp-fuzz` beside the running test binary or a few directories above it.
    static func locateReplayer() -> String? {
        guard let first = CommandLine.arguments.first else { return nil }
        var directory = URL(fileURLWithPath: first).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("resp-fuzz").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}
