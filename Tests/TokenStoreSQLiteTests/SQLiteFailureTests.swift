import Foundation
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreSQLite

@Suite("SQLite failures", .inProcessTimeLimit)
struct SQLiteFailureTests {
    @Test("a corrupted row is a corruptedRecord naming its key; other rows still work")
    func corruptedRow() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let store = try await SQLiteTokenStore(configuration: .init(path: path))
        try await store.saveAccessToken(sampleAccessToken(userID: "good"))
        let raw = try RawSQLite(path: path)
        try raw.execute(
            "INSERT INTO access_tokens VALUES ('twitter', 'bad-json', 't', 'hush-secret', NULL, NULL, 1, 1, 'not json')")
        try raw.execute(
            "INSERT INTO access_tokens VALUES ('twitter', 'bad-date', 't', 'hush-secret', NULL, NULL, 'yesterday', 1, NULL)")
        try raw.execute(
            "INSERT INTO access_tokens VALUES ('twitter', 'bad-utf8', 't', 'hush-secret', CAST(X'C328' AS TEXT), NULL, 1, 1, NULL)")
        try raw.execute(
            "INSERT INTO access_tokens VALUES ('twitter', 'bad-blob', 't', X'00', NULL, NULL, 1, 1, NULL)")
        try raw.execute(
            "INSERT INTO request_tokens VALUES ('bad-rt', 'p', 'hush-secret', NULL, NULL, NULL, '[1]', 1, 9999999999999)")
        let problems = [
            "bad-json": "metadata is not a JSON object of strings", "bad-date": "created_at is not an integer",
            "bad-utf8": "screen_name is not valid UTF-8", "bad-blob": "secret is not text",
        ]
        for (userID, problem) in problems {
            let error = await #expect(throws: TokenStoreError.self) {
                _ = try await store.accessToken(provider: "twitter", userID: userID)
            }
            #expect(error?.code == .corruptedRecord)
            #expect(error?.record?.contains("twitter/\(userID)") == true)
            #expect(error?.operation == "accessToken")
            #expect(error?.message.contains(problem) == true, "\(userID): \(error?.message ?? "no error")")
            #expect(error.map { String(reflecting: $0) }?.contains("hush-secret") == false)
        }
        let requestError = await #expect(throws: TokenStoreError.self) { _ = try await store.takeRequestToken("bad-rt") }
        #expect(requestError?.code == .corruptedRecord)
        #expect(requestError?.record?.contains("bad-rt") == true)
        #expect(try await store.accessToken(provider: "twitter", userID: "good") != nil)
        #expect(try await store.deleteAccessToken(for: AccessTokenKey(provider: "twitter", userID: "bad-json")))
    }

    @Test("text with an embedded NUL is read whole, not cut at the NUL")
    func embeddedNUL() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let store = try await SQLiteTokenStore(configuration: .init(path: path))
        try RawSQLite(path: path).execute(
            "INSERT INTO access_tokens VALUES ('twitter', 'nul', 't', 'hush-secret', CAST(X'610062' AS TEXT), NULL, 1, 1, NULL)")
        let token = try #require(try await store.accessToken(provider: "twitter", userID: "nul"))
        #expect(token.screenName == "a\u{0}b")
    }

    @Test("a database locked by another process times out without parking the cooperative pool")
    func busyTimesOut() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        // 5 s: on a loaded runner the 5 ms heartbeat below ticked only twice in 1 s, though
        // nothing parked; parked threads would keep it from ticking while they wait.
        let store = try await SQLiteTokenStore(configuration: .init(path: path, busyTimeout: .seconds(5)))
        let kept = sampleAccessToken(userID: "kept")
        try await store.saveAccessToken(kept)

        // Another connection (as another process would) takes the write lock and keeps it.
        let locker = try RawSQLite(path: path)
        try locker.execute("BEGIN IMMEDIATE")
        try locker.execute("DELETE FROM access_tokens")

        // A heartbeat counts its ticks. If the blocked calls below parked cooperative
        // threads (this machine has 2), it could not tick until they returned.
        let beat = Heartbeat()
        let heartbeat = Task {
            while !beat.stop.load(ordering: .relaxed) {
                beat.ticks.add(1, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let secret = "do-not-print-me"
        // Ticks counted when the first blocked call returns: had the calls parked both
        // cooperative threads, the heartbeat could not have ticked before that.
        let codes = await withTaskGroup(of: TokenStoreError.Code?.self) { group in
            for index in 0..<4 {
                group.addTask {
                    defer {
                        let now = beat.ticks.load(ordering: .relaxed)
                        beat.ticksAtFirstReturn.withLock { if $0 == nil { $0 = now } }
                    }
                    do {
                        try await store.saveAccessToken(sampleAccessToken(userID: "blocked\(index)", secret: secret))
                        return nil
                    } catch let error as TokenStoreError {
                        #expect(!String(reflecting: error).contains(secret))
                        return error.code
                    } catch {
                        return .internal
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let ticksWhileBlocked = beat.ticksAtFirstReturn.withLock { $0 } ?? 0
        beat.stop.store(true, ordering: .relaxed)
        await heartbeat.value
        #expect(codes == Array(repeating: TokenStoreError.Code.timedOut, count: 4))
        #expect(ticksWhileBlocked > 2, "the heartbeat did not run while calls waited for the lock")
        // WAL: readers are not blocked by the writer, and see the last committed state.
        #expect(try await store.accessToken(for: kept.key) == kept)

        try locker.execute("ROLLBACK")
        #expect(try await store.saveAccessToken(sampleAccessToken(userID: "after")))
    }
}

/// Counters shared by the heartbeat task and the blocked calls.
final class Heartbeat: Sendable {
    let ticks = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
    /// Ticks counted when the first blocked call returned.
    let ticksAtFirstReturn = Mutex<Int?>(nil)
}
