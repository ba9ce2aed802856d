import ArgumentParser
import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

@Suite(.inProcessTimeLimit) struct PurgeCommandTests {
    /// Two expired and one live request token: purge removes the two and says so.
    @Test func purgeRemovesOnlyExpiredRequestTokensOnSQLite() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let url = "sqlite://" + directory + "/tokens.db"
        let store = try await StoreDrivers.open(url)
        let now = Date()
        for (index, offset) in [-120.0, -60.0, 600.0].enumerated() {
            try await store.saveRequestToken(
                RequestToken(
                    provider: "p", token: "t\(index)", secret: "s\(index)",
                    createdAt: now.addingTimeInterval(-300), expiresAt: now.addingTimeInterval(offset)))
        }
        try await store.close()

        let captured = CapturedConsole()
        let command = try #require(try TokenStoreCommand.parseAsRoot(["purge", url]) as? PurgeCommand)
        try await command.execute(console: captured.console)
        #expect(captured.output.contains("Removed 2 expired request tokens"))

        let reopened = try await StoreDrivers.open(url)
        let counts = try await reopened.counts()
        #expect(counts.requestTokens == 1)
        let live = try await reopened.takeRequestToken("t2")
        #expect(live != nil)
        try await reopened.close()
    }
}
