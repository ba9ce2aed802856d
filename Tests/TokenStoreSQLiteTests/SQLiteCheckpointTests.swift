import Foundation
import Logging
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreSQLite

/// Records log messages with their metadata.
final class RecordingLogHandler: LogHandler, Sendable {
    let records = Mutex<[(message: String, metadata: [String: String])]>([])

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).mapValues { "\($0)" }
        records.withLock { $0.append((event.message.description, fields)) }
    }
}

@Suite("SQLite WAL checkpoints")
struct SQLiteCheckpointTests {
    @Test("writes past the threshold are checkpointed off the calling thread, and logs hold no secret")
    func backgroundCheckpoint() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let handler = RecordingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let store = try await SQLiteTokenStore(
            path: directory.path + "/t.db", configuration: .init(logger: logger, checkpointThresholdPages: 8))
        let secret = "never-log-this-secret"
        for index in 0..<200 {
            try await store.saveAccessToken(sampleAccessToken(userID: "user\(index)", secret: secret))
        }
        // The checkpoint runs on its own queue: wait until it reports (bounded).
        var copied: [Int] = []
        for _ in 0..<500 where copied.isEmpty {
            copied = handler.records.withLock { records in
                records.filter { $0.message == "WAL checkpoint" }.compactMap { Int($0.metadata["copied"] ?? "") }
            }
            if copied.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(copied.contains { $0 >= 8 }, "no checkpoint copied the WAL: \(copied)")
        let logged = handler.records.withLock { $0.map { "\($0.message) \($0.metadata)" } }.joined()
        #expect(!logged.contains(secret))
        for index in 0..<200 {
            #expect(try await store.accessToken(provider: "twitter", userID: "user\(index)")?.secret == secret)
        }
        try await store.close()
    }
}
