import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreSQLite

/// A store released without `close()` must still close its connections: a reference
/// cycle between the store's parts (once, a WAL hook's checkpointer and the writer's slot)
/// kept every file store dropped unclosed holding its descriptors (database, WAL and
/// shared-memory file per connection) for the life of the process. A test process that
/// dropped enough of them held over a thousand descriptors.
@Suite("SQLite store released without close", .inProcessTimeLimit)
struct SQLiteStoreReleaseTests {
    @Test("a file store released without close closes its files")
    func releasedStoreClosesItsFiles() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.sqlite"
        weak var releasedPool: SQLiteConnectionPool?
        do {
            let store = try await SQLiteTokenStore(configuration: .init(path: path))
            // A commit, so the WAL and its shared-memory file are open on every connection.
            _ = try await store.saveAccessToken(sampleAccessToken(userID: "released"), policy: .overwrite)
            #expect(try await store.accessToken(for: AccessTokenKey(provider: "twitter", userID: "released")) != nil)
            #expect(!Self.openFiles(under: directory.path).isEmpty)
            releasedPool = store.pool
        }
        // A connection's queue may still hold its slot for the moment after a call returns.
        let deadline = ContinuousClock.now + .seconds(120)
        while releasedPool != nil || !Self.openFiles(under: directory.path).isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(releasedPool == nil, "the connection pool outlived its store")
        #expect(Self.openFiles(under: directory.path) == [], "descriptors still open on the store's files")
    }

    @Test("a file store released without close can be opened again and reads what was written")
    func reopenAfterRelease() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.sqlite"
        let token = sampleAccessToken(userID: "kept")
        do {
            let store = try await SQLiteTokenStore(configuration: .init(path: path))
            _ = try await store.saveAccessToken(token, policy: .overwrite)
        }
        let reopened = try await SQLiteTokenStore(configuration: .init(path: path))
        #expect(try await reopened.accessToken(for: token.key) == token)
        try await reopened.close()
    }

    /// The targets of this process's descriptors that lie under `directory`.
    static func openFiles(under directory: String) -> [String] {
        let fileManager = FileManager.default
        guard let names = try? fileManager.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
        return names.compactMap { name in
            guard let target = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name) else { return nil }
            return target.hasPrefix(directory + "/") ? target : nil
        }.sorted()
    }
}
