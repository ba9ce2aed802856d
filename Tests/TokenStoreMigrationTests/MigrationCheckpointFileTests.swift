import Foundation
import Testing
import TokenStoreKit
import TokenStoreMigration

/// ``MigrationCheckpointFile``: atomic, private, round-trips, refuses garbage.
@Suite("Migration checkpoint file", .inProcessTimeLimit)
struct MigrationCheckpointFileTests {
    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "tokenstore-checkpoint-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test func savesPrivatelyLoadsAndRemoves() throws {
        let root = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let file = MigrationCheckpointFile(path: root + "/state/tokenstore/migrate.json")
        #expect(try file.load() == nil)
        var checkpoint = MigrationCheckpoint(
            operation: .migrate, source: "postgres://app:pw@db/tokens", destination: "redis://:pw2@cache/0",
            only: nil, secrets: "verbatim")
        checkpoint.accessCursor = MigrationCheckpoint.Key(AccessTokenKey(provider: "p", userID: "ü/1"))
        checkpoint.counts.accessRead = 42
        try file.save(checkpoint)
        let loaded = try #require(try file.load())
        #expect(loaded.accessCursor == checkpoint.accessCursor && loaded.counts == checkpoint.counts)
        #expect(loaded.source == "postgres://app:***@db/tokens" && loaded.destination == "redis://:***@cache/0")
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        #expect(!text.contains("pw"))
        let fileMode = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int)
        let directoryMode = try #require(
            try FileManager.default.attributesOfItem(atPath: file.directory)[.posixPermissions] as? Int)
        #expect(fileMode == 0o600 && directoryMode == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: file.directory) == ["migrate.json"])

        checkpoint.counts.accessRead = 50
        try file.save(checkpoint)
        #expect(try file.load()?.counts.accessRead == 50)
        try file.remove()
        #expect(try file.load() == nil)
        try file.remove()
    }

    @Test func aCorruptedFileIsAClearError() throws {
        let root = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/broken.json"
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: MigrationCheckpointError.self) { _ = try MigrationCheckpointFile(path: path).load() }
        #expect(error?.description.contains("not a tokenstore checkpoint") == true)
    }

    @Test func conflictsNameWhatDiffersAndFileNamesDependOnTheRun() {
        let a = MigrationCheckpoint(operation: .migrate, source: "sqlite:///a.db", destination: "file:///b", only: nil, secrets: "verbatim")
        let b = MigrationCheckpoint(
            operation: .migrate, source: "sqlite:///a.db", destination: "file:///c", only: "access-tokens", secrets: "verbatim")
        #expect(a.conflicts(with: a).isEmpty)
        let conflicts = a.conflicts(with: b)
        #expect(conflicts.count == 2)
        #expect(conflicts.contains { $0.contains("file:///b") && $0.contains("file:///c") })
        let name = MigrationCheckpoint.fileName(
            operation: .migrate, source: a.source, destination: a.destination, only: nil, secrets: "verbatim")
        #expect(name.hasPrefix("migrate-") && name.hasSuffix(".json") && name.count == "migrate-".count + 16 + 5)
        #expect(name != MigrationCheckpoint.fileName(
            operation: .migrate, source: b.source, destination: b.destination, only: b.only, secrets: "verbatim"))
    }
}
