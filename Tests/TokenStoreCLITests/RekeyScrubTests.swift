import ArgumentParser
import Foundation
import Testing
import TokenStoreKit
import TokenStoreSealing

@testable import TokenStoreCLI

/// `rekey` leaves no old secret in a SQLite store's files (database and WAL), purges the
/// expired request tokens it cannot re-seal, reports access and request tokens apart, and
/// its `--help` lists only its own exit statuses.
@Suite(.timeLimit(.minutes(5))) struct RekeyScrubTests {
    /// A distinct secret per record, so each one can be searched for in the raw files.
    static func secret(_ kind: String, _ index: Int) -> String {
        "old-\(kind)-secret-\(index)-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    static func rekey(_ url: String, _ arguments: [String], keys: String, state: String) async throws -> CapturedConsole {
        let console = CapturedConsole(environment: [SealingKeyRing.environmentVariable: keys, "XDG_STATE_HOME": state])
        let command = try #require(try TokenStoreCommand.parseAsRoot(["rekey", url] + arguments) as? RekeyCommand)
        try await command.execute(console: console.console)
        return console
    }

    /// The old secrets found anywhere in the files of the database at `path` (the database,
    /// its WAL and shared memory, and any journal).
    static func secretsLeft(_ secrets: [String], besides path: String) throws -> [String] {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var contents: [Data] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasPrefix(name) {
            contents.append(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
        }
        return secrets.filter { secret in
            let bytes = Data(secret.utf8)
            return contents.contains { $0.range(of: bytes) != nil }
        }
    }

    /// The app keeps the store open meanwhile, as a running server does: the WAL is then
    /// never deleted, and without the scrub every old secret stays in its earlier frames.
    @Test func noOldSecretIsLeftInTheDatabaseOrItsWAL() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-rekey-scrub")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tokens.db"
        let url = "sqlite://" + path
        let accessSecrets = (0..<2000).map { Self.secret("access", $0) }
        let liveSecrets = (0..<5).map { Self.secret("request", $0) }
        let expiredSecrets = (0..<3).map { Self.secret("expired", $0) }
        let store = try await StoreDrivers.open(url)
        let now = Date()
        try await store.saveAccessTokens(
            accessSecrets.enumerated().map { index, secret in
                AccessToken(
                    provider: index % 3 == 0 ? "twitter" : "flickr", userID: "user-\(index)", token: "token-\(index)",
                    secret: secret, screenName: "name \(index)", createdAt: now)
            }, policy: .overwrite)
        try await store.saveRequestTokens(
            liveSecrets.enumerated().map { index, secret in
                RequestToken(provider: "twitter", token: "live-\(index)", secret: secret, createdAt: now, expiresAt: now + 1800)
            })
        try await store.saveRequestTokens(
            expiredSecrets.enumerated().map { index, secret in
                RequestToken(provider: "twitter", token: "gone-\(index)", secret: secret, createdAt: now - 7200, expiresAt: now - 3600)
            })
        let everySecret = accessSecrets + liveSecrets + expiredSecrets
        #expect(try Self.secretsLeft(everySecret, besides: path).count == everySecret.count)

        let key = try MigrateCommandSealingTests.keyLine("k1")
        let console = try await Self.rekey(url, ["--allow-plaintext", "--page-size", "300"], keys: key, state: directory + "/state")
        #expect(console.output.contains("re-sealed 2000 access tokens (2000 were plain text)"))
        #expect(console.output.contains("re-sealed 5 request tokens (5 were plain text)"))
        #expect(console.output.contains("Purged 3 expired request token(s)"))
        #expect(console.output.contains("Scrubbed"))

        let left = try Self.secretsLeft(everySecret, besides: path)
        #expect(left.isEmpty, "\(left.count) old secrets left, e.g. \(left.prefix(3))")
        #expect(try await store.counts().accessTokens == 2000)
        try await store.close()

        let sealed = SealedTokenStore(wrapping: try await StoreDrivers.open(url), keys: try MigrateCommandSealingTests.ring(key))
        #expect(try await sealed.accessToken(for: AccessTokenKey(provider: "flickr", userID: "user-1"))?.secret == accessSecrets[1])
        #expect(try await sealed.takeRequestToken("live-4")?.secret == liveSecrets[4])
        #expect(try await sealed.counts() == TokenCounts(requestTokens: 4, accessTokens: 2000))
        try await sealed.close()
    }

    /// Rotating from a sealed store: the old key's ciphertexts are gone from the files too.
    @Test func rotatingLeavesNoCiphertextOfTheOldKey() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-rekey-rotate")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tokens.db"
        let url = "sqlite://" + path
        let k1 = try MigrateCommandSealingTests.keyLine("k1")
        let k2 = try MigrateCommandSealingTests.keyLine("k2")
        let sealed = SealedTokenStore(wrapping: try await StoreDrivers.open(url), keys: try MigrateCommandSealingTests.ring(k1))
        try await sealed.saveAccessTokens(MigrateFixture.accessTokens(200), policy: .overwrite)
        try await sealed.close()
        // Open throughout, as the app would be.
        let app = try await StoreDrivers.open(url)
        let oldCiphertexts = try await app.listAccessTokens(after: nil, limit: 1000).tokens.map(\.secret)
        #expect(oldCiphertexts.count == 200 && oldCiphertexts.allSatisfy { $0.hasPrefix("tsv1:k1:") })

        let console = try await Self.rekey(url, [], keys: k2 + "," + k1, state: directory + "/state")
        #expect(console.output.contains("re-sealed 200 access tokens (0 were plain text)"))
        #expect(try Self.secretsLeft(oldCiphertexts, besides: path).isEmpty)
        try await app.close()
    }

    @Test func aStoreThatDoesNotExistIsAnErrorAndIsNotCreated() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-rekey-missing")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = try MigrateCommandSealingTests.keyLine("k1")
        for url in ["sqlite://\(directory)/typo.db", "file://\(directory)/typo"] {
            let failure = await #expect(throws: CLIFailure.self) {
                _ = try await Self.rekey(url, ["--allow-plaintext"], keys: key, state: directory + "/state")
            }
            #expect(failure?.message.contains("does not exist") == true)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("typo") }.isEmpty)
    }

    @Test func helpListsOnlyRekeysExitStatuses() {
        let help = TokenStoreCommand.helpMessage(for: RekeyCommand.self)
        #expect(help.contains("Exit status: 0"))
        #expect(help.contains("4 interrupted"))
        #expect(!help.contains("--verify") && !help.contains("; 3 "))
    }
}
