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

@Suite("SQLite WAL checkpoints", .inProcessTimeLimit)
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

@Suite("SQLite WAL size under sustained writes", .inProcessTimeLimit)
struct SQLiteWALBoundTests {
    @Test("a tight loop of writes keeps the WAL near the threshold instead of growing without bound")
    func walStaysBounded() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let threshold = 16
        let store = try await SQLiteTokenStore(path: path, configuration: .init(checkpointThresholdPages: threshold))
        let writes = 2000
        for index in 0..<writes {
            let token = RequestToken(provider: "twitter", token: "t\(index)", secret: "s", createdAt: Date())
            try await store.saveRequestToken(token)
            #expect(try await store.takeRequestToken(token.token) != nil)
        }
        // RESTART rewinds the WAL but leaves the file at its high-water mark: its size is the
        // most the WAL ever held. 4000 commits of a few frames each: a WAL whose checkpoints
        // lose the race with the writer reaches thousands of frames (seen: 2000 to 9000);
        // writers held behind the restart keep it at the restart size (2 thresholds) plus
        // the one commit in flight when it was scheduled.
        let pageSize = try #require(Int(try RawSQLite(path: path).rows("PRAGMA page_size")[0][0]))
        let walBytes = try #require(
            try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        let frames = walBytes / (pageSize + 24)
        #expect(frames <= threshold * 8, "the WAL reached \(frames) frames for a threshold of \(threshold)")
        try await store.close()
    }
}
