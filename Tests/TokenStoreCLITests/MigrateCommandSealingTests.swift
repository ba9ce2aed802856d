import ArgumentParser
import Foundation
import Testing
import TokenStoreKit
import TokenStoreSealing

@testable import TokenStoreCLI

/// `migrate` with sealed stores: verbatim by default, keys checked before any write,
/// `--unseal`, `--seal`; no secret or key material in any output.
@Suite(.inProcessTimeLimit) struct MigrateCommandSealingTests {
    /// An environment-format key line (`id:base64key`) from `tokenstore keygen`.
    static func keyLine(_ id: String) throws -> String {
        let command = try #require(try TokenStoreCommand.parseAsRoot(["keygen", "--id", id]) as? KeygenCommand)
        return try command.line(now: Date()).replacingOccurrences(of: " ", with: ":")
    }

    static func ring(_ line: String) throws -> SealingKeyRing {
        try SealingKeyRing.parse(environmentValue: line)
    }

    struct Setup {
        let directory: String
        let from: String
        let to: String
        let k1: String
        let environment: [String: String]
    }

    /// A SQLite source sealed under k1 (30 access, 3 request tokens) and an empty file destination.
    static func setup() async throws -> Setup {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-sealed")
        let from = "sqlite://\(directory)/source.db"
        let to = "file://\(directory)/destination"
        let k1 = try keyLine("k1")
        let sealed = SealedTokenStore(wrapping: try await StoreDrivers.open(from), keys: try ring(k1))
        try await sealed.saveAccessTokens(MigrateFixture.accessTokens(30), policy: .overwrite)
        try await sealed.saveRequestTokens(MigrateFixture.requestTokens(3))
        try await sealed.close()
        return Setup(directory: directory, from: from, to: to, k1: k1, environment: ["XDG_STATE_HOME": directory + "/state"])
    }

    static func expectNoSecrets(_ console: CapturedConsole, keys: [String]) {
        for text in [console.output, console.error] {
            #expect(!text.contains("migrate-secret") && !text.contains("migrate-request-secret"))
            for key in keys { #expect(!text.contains(String(key.split(separator: ":").last ?? ""))) }
        }
    }

    @Test func wrongOrMissingKeysFailBeforeAnythingIsWritten() async throws {
        let setup = try await Self.setup()
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        let arguments = ["--from", setup.from, "--to", setup.to, "--batch-size", "10"]

        let (missing, missingError) = try await MigrateCommandStoresTests.migrate(arguments, environment: setup.environment)
        let failure = try #require(missingError as? CLIFailure)
        #expect(failure.message.contains("sealed with key 'k1'") && failure.message.contains("--sealing-keys"))
        #expect(failure.message.contains("access token flickr/"))

        let other = try Self.keyLine("k1")  // same id, other material
        var environment = setup.environment
        environment[SealingKeyRing.environmentVariable] = other
        let (wrong, wrongError) = try await MigrateCommandStoresTests.migrate(arguments, environment: environment)
        let wrongFailure = try #require(wrongError as? CLIFailure)
        #expect(wrongFailure.message.contains("does not open"))
        #expect(try await MigrateFixture.counts(setup.to) == TokenCounts(requestTokens: 0, accessTokens: 0))
        Self.expectNoSecrets(missing, keys: [setup.k1])
        Self.expectNoSecrets(wrong, keys: [setup.k1, other])
        #expect(!wrongFailure.message.contains(String(other.split(separator: ":").last ?? "")))
    }

    @Test func sealedRecordsAreCopiedVerbatimAndOpenInTheDestination() async throws {
        let setup = try await Self.setup()
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        var environment = setup.environment
        environment[SealingKeyRing.environmentVariable] = setup.k1
        let (console, error) = try await MigrateCommandStoresTests.migrate(
            ["--from", setup.from, "--to", setup.to, "--verify", "--batch-size", "8"], environment: environment)
        #expect(error == nil, "\(console.error)")
        #expect(console.output.contains("Verified"))
        Self.expectNoSecrets(console, keys: [setup.k1])

        let source = try await StoreDrivers.open(setup.from)
        let raw = try await StoreDrivers.open(setup.to)
        #expect(try await raw.listAccessTokens(after: nil, limit: 100).tokens
            == (try await source.listAccessTokens(after: nil, limit: 100).tokens))
        try await source.close()
        let stored = try await raw.listAccessTokens(after: nil, limit: 100).tokens
        #expect(stored.allSatisfy { SealedTokenStore.sealingKeyID(ofStoredSecret: $0.secret) == "k1" })
        let opened = SealedTokenStore(wrapping: raw, keys: try Self.ring(setup.k1))
        let tokens = try await opened.listAccessTokens(after: nil, limit: 100).tokens
        #expect(tokens == MigrateFixture.accessTokens(30).sorted { $0.key < $1.key })
        try await opened.close()
    }

    @Test func unsealThenSealAgainUnderANewKey() async throws {
        let setup = try await Self.setup()
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        var environment = setup.environment
        environment[SealingKeyRing.environmentVariable] = setup.k1
        let plain = "sqlite://\(setup.directory)/plain.db"
        let (unsealed, unsealError) = try await MigrateCommandStoresTests.migrate(
            ["--from", setup.from, "--to", plain, "--unseal", "--verify"], environment: environment)
        #expect(unsealError == nil, "\(unsealed.error)")
        #expect(unsealed.output.contains("Verified"))
        let plainStore = try await StoreDrivers.open(plain)
        #expect(try await plainStore.listAccessTokens(after: nil, limit: 100).tokens
            == MigrateFixture.accessTokens(30).sorted { $0.key < $1.key })
        try await plainStore.close()

        let k2 = try Self.keyLine("k2")
        environment[SealingKeyRing.environmentVariable] = k2
        let resealed = "file://\(setup.directory)/resealed"
        let (sealing, sealError) = try await MigrateCommandStoresTests.migrate(
            ["--from", plain, "--to", resealed, "--seal", "--verify"], environment: environment)
        #expect(sealError == nil, "\(sealing.error)")
        #expect(sealing.output.contains("Verified"))
        Self.expectNoSecrets(sealing, keys: [k2])
        let raw = try await StoreDrivers.open(resealed)
        #expect(try await raw.listAccessTokens(after: nil, limit: 100).tokens.allSatisfy { $0.secret.hasPrefix("tsv1:k2:") })
        #expect(try await raw.listRequestTokens(after: nil, limit: 100).tokens.allSatisfy { $0.secret.hasPrefix("tsv1:k2:") })
        let opened = SealedTokenStore(wrapping: raw, keys: try Self.ring(k2))
        #expect(try await opened.listAccessTokens(after: nil, limit: 100).tokens
            == MigrateFixture.accessTokens(30).sorted { $0.key < $1.key })
        try await opened.close()

        environment.removeValue(forKey: SealingKeyRing.environmentVariable)
        let (_, noKeys) = try await MigrateCommandStoresTests.migrate(
            ["--from", plain, "--to", resealed, "--seal"], environment: environment)
        #expect((noKeys as? CLIFailure)?.message.contains("--seal needs sealing keys") == true)
        #expect(throws: (any Error).self) {
            _ = try TokenStoreCommand.parseAsRoot(["migrate", "--from", plain, "--to", resealed, "--seal", "--unseal"])
        }
    }
}
