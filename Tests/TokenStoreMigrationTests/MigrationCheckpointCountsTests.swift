import Foundation
import Testing
import TokenStoreKit
import TokenStoreMigration

/// A checkpoint file's counts are added to on resume and multiplied for the progress
/// line: numbers a damaged file holds beyond any store are refused when it is loaded.
@Suite("Migration checkpoint counts", .timeLimit(.minutes(5)))
struct MigrationCheckpointCountsTests {
    @Test("huge or negative counts in a checkpoint file are a checkpoint error", arguments: [Int.max, -1, (1 << 53) + 1])
    func damagedCounts(value: Int) throws {
        let root = FileManager.default.temporaryDirectory.path + "/tokenstore-checkpoint-counts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let file = MigrationCheckpointFile(path: root + "/migrate.json")
        var checkpoint = MigrationCheckpoint(
            operation: .migrate, source: "sqlite:///tmp/a.db", destination: "sqlite:///tmp/b.db", only: nil, secrets: "verbatim")
        checkpoint.counts.requestRead = value
        try file.save(checkpoint)
        let error = #expect(throws: MigrationCheckpointError.self) { _ = try file.load() }
        #expect(error?.message.contains("counts") == true, "\(error?.message ?? "")")
        checkpoint.counts.requestRead = 1 << 53
        try file.save(checkpoint)
        #expect(try file.load()?.counts.requestRead == 1 << 53)
    }
}
