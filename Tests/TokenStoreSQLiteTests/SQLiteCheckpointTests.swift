import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLite
import TokenStoreTesting

@Suite("SQLite WAL checkpoints", .inProcessTimeLimit)
struct SQLiteCheckpointTests {
    @Test("writes past the threshold are copied into the database file, and every record reads back")
    func writesReachTheDatabaseFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let threshold = 8
        let store = try await SQLiteTokenStore(configuration: .init(path: path, checkpointThresholdPages: threshold))
        let secret = "a-secret"
        for index in 0..<200 {
            try await store.saveAccessToken(sampleAccessToken(userID: "user\(index)", secret: secret))
        }
        // Until a checkpoint the database file holds only the page WAL mode wrote; the
        // records' pages reach it only through checkpoints, while the store is open. The
        // last one runs on the writer's queue, after the commit that called for it.
        let pageSize = try #require(Int(try RawSQLite(path: path).rows("PRAGMA page_size")[0][0]))
        try await eventually("the database file holds the checkpointed records' pages") {
            let fileBytes = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            return fileBytes >= threshold * pageSize
        }
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
        let store = try await SQLiteTokenStore(configuration: .init(path: path, checkpointThresholdPages: threshold))
        let writes = 2000
        for index in 0..<writes {
            let token = RequestToken(provider: "twitter", token: "t\(index)", secret: "s", createdAt: Date())
            try await store.saveRequestToken(token)
            #expect(try await store.takeRequestToken(token.token) != nil)
        }
        // A rewound WAL keeps its file at the high-water mark: its size is the most the WAL
        // ever held. 4000 commits of a few frames each: a WAL that is never checkpointed, or
        // whose checkpoints lose the race with the writer, reaches thousands of frames; the
        // commit past the threshold checkpoints it, the next one rewinds it.
        let pageSize = try #require(Int(try RawSQLite(path: path).rows("PRAGMA page_size")[0][0]))
        let walBytes = try #require(
            try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        let frames = walBytes / (pageSize + 24)
        #expect(frames <= threshold * 8, "the WAL reached \(frames) frames for a threshold of \(threshold)")
        try await store.close()
    }
}

@Suite("SQLite WAL size under concurrent writers and readers", .inProcessTimeLimit)
struct SQLiteWALConcurrentBoundTests {
    @Test("writers and readers at once keep the WAL bounded")
    func walStaysBoundedUnderConcurrency() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let threshold = 16
        let store = try await SQLiteTokenStore(configuration: .init(path: path, checkpointThresholdPages: threshold))
        try await store.saveAccessToken(sampleAccessToken(userID: "reader"))
        // Readers hold snapshots while the writer commits, which can keep a checkpoint from
        // copying the whole WAL and the next write from rewinding it: the WAL must still
        // stay within a few thresholds.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<8 {
                group.addTask {
                    for index in 0..<300 {
                        try await store.saveAccessToken(sampleAccessToken(userID: "user\((caller * 300 + index) % 500)"))
                        _ = try await store.accessToken(provider: "twitter", userID: "reader")
                    }
                }
            }
            try await group.waitForAll()
        }
        let pageSize = try #require(Int(try RawSQLite(path: path).rows("PRAGMA page_size")[0][0]))
        let walBytes = try #require(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        let frames = walBytes / (pageSize + 24)
        #expect(frames <= threshold * 8, "the WAL reached \(frames) frames for a threshold of \(threshold)")
        try await store.close()
    }
}
