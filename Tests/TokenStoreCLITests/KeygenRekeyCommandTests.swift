import ArgumentParser
import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

/// `tokenstore rekey URL` with keys from the environment.
@Suite struct KeygenRekeyCommandTests {
    @Test func rekeySealsAPlainStoreThenRotates() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-cli-rekey")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let url = "sqlite://\(directory)/tokens.db"
        let plain = try await StoreDrivers.open(url)
        for index in 0..<5 {
            try await plain.saveAccessToken(
                AccessToken(provider: "p", userID: "u\(index)", token: "t", secret: "plain-\(index)", createdAt: Date()))
        }
        try await plain.close()

        let k1 = try TokenStoreCommand.parseAsRoot(["keygen", "--id", "k1"])
        let k2 = try TokenStoreCommand.parseAsRoot(["keygen", "--id", "k2"])
        let line1 = try #require(k1 as? KeygenCommand).line(now: Date()).replacingOccurrences(of: " ", with: ":")
        let line2 = try #require(k2 as? KeygenCommand).line(now: Date()).replacingOccurrences(of: " ", with: ":")

        func rekey(_ arguments: [String], keys: String) async throws -> String {
            let console = CapturedConsole(environment: [SealingKeyRing.environmentVariable: keys])
            let command = try #require(try TokenStoreCommand.parseAsRoot(["rekey", url] + arguments) as? RekeyCommand)
            try await command.execute(console: console.console)
            return console.output
        }

        let refused = await #expect(throws: CLIFailure.self) { _ = try await rekey([], keys: line1) }
        #expect(refused?.message.contains("not sealed") == true)
        let sealing = try await rekey(["--allow-plaintext", "--page-size", "2"], keys: line1)
        #expect(sealing.contains("re-sealed 5 access tokens (5 were plain text)"))
        #expect(sealing.contains("0 still under other keys"))

        let rotating = try await rekey(["--page-size", "2"], keys: line2 + "," + line1)
        #expect(rotating.contains("re-sealed 5 access tokens (0 were plain text), 0 already"))
        #expect(rotating.contains("0 still under other keys"))
        for output in [sealing, rotating] {
            #expect(!output.contains("plain-"))
            #expect(!output.contains(String(line1.dropFirst(3))) && !output.contains(String(line2.dropFirst(3))))
        }

        let store = try await StoreDrivers.open(url)
        let raw = try await store.listAccessTokens(after: nil, limit: 10).tokens
        try await store.close()
        #expect(raw.count == 5 && raw.allSatisfy { $0.secret.hasPrefix("tsv1:k2:") })

        let noKeys = await #expect(throws: CLIFailure.self) { _ = try await rekey([], keys: "") }
        #expect(noKeys?.message.contains("no sealing keys") == true)
    }
}
