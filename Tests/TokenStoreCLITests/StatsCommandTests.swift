import ArgumentParser
import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

@Suite(.inProcessTimeLimit) struct StatsCommandTests {
    /// Three access tokens over two providers and one live request token, read back as JSON.
    @Test func statsCountsByKindAndProviderOnSQLite() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let url = "sqlite://" + directory + "/tokens.db"
        let store = try await StoreDrivers.open(url)
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        let tokens = [("a", "1", 0.0), ("a", "2", 50.0), ("b", "3", 100.0)].map { provider, user, offset in
            AccessToken(
                provider: provider, userID: user, token: "tok\(user)", secret: "secret-\(user)",
                createdAt: base.addingTimeInterval(offset))
        }
        _ = try await store.saveAccessTokens(tokens, policy: .overwrite)
        try await store.saveRequestToken(
            RequestToken(provider: "a", token: "rt", secret: "rs", createdAt: Date(), expiresAt: Date().addingTimeInterval(600)))
        let version = try await store.schemaVersion()
        try await store.close()

        let captured = CapturedConsole()
        let command = try #require(try TokenStoreCommand.parseAsRoot(["stats", url, "--json", "--updates"]) as? StatsCommand)
        try await command.execute(console: captured.console)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(captured.output.utf8)) as? [String: Any])
        #expect(object["accessTokens"] as? Int == 3)
        #expect(object["requestTokens"] as? Int == 1)
        #expect(object["schemaVersion"] as? Int == version)
        #expect(object["accessTokensByProvider"] as? [String: Int] == ["a": 2, "b": 1])
        #expect(object["oldestUpdatedAt"] as? String == StatsCommand.Report.format(base))
        #expect(object["newestUpdatedAt"] as? String == StatsCommand.Report.format(base.addingTimeInterval(100)))
        #expect(!captured.output.contains("secret-"))
    }
}
