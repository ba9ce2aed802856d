import Dispatch
import Foundation
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStoreSQLite

/// The commit that takes the WAL past the threshold must not checkpoint on the calling
/// thread (on the fast path, a cooperative one): SQLite's own autocheckpoint did, copying
/// the WAL and syncing inside that commit. The checkpoint belongs on the writer's queue.
@Suite("SQLite WAL checkpoints run on the writer's queue", .inProcessTimeLimit)
struct SQLiteCheckpointThreadTests {
    @Test(
        "the commit that takes the WAL past the threshold returns without checkpointing; the writer's queue checkpoints after it",
        arguments: [32, 128, 512])
    func checkpointRunsOnTheWritersQueue(thresholdPages: Int) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let store = try await SQLiteTokenStore(configuration: .init(path: path, checkpointThresholdPages: thresholdPages))
        let pageSize = try #require(Int(try RawSQLite(path: path).rows("PRAGMA page_size")[0][0]))
        // In WAL mode only a checkpoint writes the database file.
        let databaseBytes = try Self.size(path)

        // Hold the writer's queue, not its lock: fast-path writes still run on this task's
        // thread, and whatever is queued on the writer's queue waits.
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }
        await withCheckedContinuation { (held: CheckedContinuation<Void, Never>) in
            store.pool.slots[0].queue.async {
                held.resume()
                release.wait()
            }
        }
        // Fast-path writes until one takes the WAL to the threshold: the commit that would
        // run SQLite's own checkpoint, inline.
        var written = 0
        while try Self.size(path + "-wal") / (pageSize + 24) < thresholdPages {
            try await store.saveAccessToken(sampleAccessToken(userID: "user\(written)"))
            written += 1
        }
        try #require(written > 0, "the WAL was past the threshold before any write: the test proves nothing")
        #expect(
            try Self.size(path) == databaseBytes,
            "the commit past the threshold checkpointed on the calling thread (\(written) writes)")

        // The next write waits behind the queued checkpoint, then the queue is released.
        let nextUser = "user\(written)"
        let next = Task { _ = try await store.saveAccessToken(sampleAccessToken(userID: nextUser)) }
        release.signal()
        try await next.value
        try await eventually("the writer's queue checkpoints the WAL into the database file") {
            try Self.size(path) > databaseBytes
        }
        for index in 0...written {
            #expect(try await store.accessToken(provider: "twitter", userID: "user\(index)") != nil)
        }
        try await store.close()
    }

    @Test("close copies the WAL into the database file, with a checkpoint still queued or none due", arguments: [4, 1000])
    func closeCheckpoints(thresholdPages: Int) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let store = try await SQLiteTokenStore(configuration: .init(path: path, checkpointThresholdPages: thresholdPages))
        for index in 0..<100 {
            try await store.saveAccessToken(sampleAccessToken(userID: "user\(index)"))
        }
        try await store.close()
        // The last connection to close checkpoints the whole WAL and deletes it.
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "close left the WAL behind")
        let raw = try RawSQLite(path: path)
        #expect(try raw.rows("PRAGMA journal_mode") == [["wal"]])
        #expect(try raw.rows("SELECT count(*) FROM access_tokens") == [["100"]])
    }

    private static func size(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }
}
