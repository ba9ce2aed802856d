import ArgumentParser
import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

/// `stats` and `purge` read or clean a store that exists: a URL naming none is an error,
/// and nothing is created in its place.
@Suite(.timeLimit(.minutes(5))) struct HousekeepingMissingStoreTests {
    @Test(arguments: ["stats", "purge"])
    func aStoreThatDoesNotExistIsAnErrorAndIsNotCreated(command: String) async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-housekeeping-nostore")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for url in ["sqlite://\(directory)/typo.db", "file://\(directory)/typo-dir"] {
            let parsed = try TokenStoreCommand.parseAsRoot([command, url])
            let console = CapturedConsole().console
            let failure = await #expect(throws: CLIFailure.self, "\(command) \(url)") {
                if let stats = parsed as? StatsCommand {
                    try await stats.execute(console: console)
                } else {
                    try await #require(parsed as? PurgeCommand).execute(console: console)
                }
            }
            #expect(failure?.message.contains("does not exist") == true, "\(command) \(url): \(failure?.message ?? "")")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}
