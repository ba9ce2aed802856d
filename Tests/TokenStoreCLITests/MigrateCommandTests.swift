import ArgumentParser
import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

@Suite(.serverTimeLimit) struct MigrateCommandTests {
    static func run(_ arguments: [String]) async throws -> String {
        let captured = CapturedConsole(environment: ["XDG_STATE_HOME": NSTemporaryDirectory() + "tokenstore-migrate-tests"])
        let command = try #require(try TokenStoreCommand.parseAsRoot(["migrate"] + arguments) as? MigrateCommand)
        try await command.execute(console: captured.console)
        return captured.output
    }

    /// SQLite -> file: dry run writes nothing; the copy keeps a newer destination token; twice is identical.
    @Test func sqliteToFileCopiesKeepsNewerAndIsIdempotent() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let from = "sqlite://" + directory + "/tokens.db"
        let to = "file://" + directory + "/dest"
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        let source = try await StoreDrivers.open(from)
        let tokens = (0..<7).map { index in
            AccessToken(provider: "p\(index % 2)", userID: "u\(index)", token: "t\(index)", secret: "s\(index)", createdAt: base)
        }
        _ = try await source.saveAccessTokens(tokens, policy: .overwrite)
        try await source.close()
        let destination = try await StoreDrivers.open(to)
        let newer = AccessToken(provider: "p0", userID: "u0", token: "newer", secret: "n", createdAt: base.addingTimeInterval(60))
        _ = try await destination.saveAccessTokens([newer], policy: .overwrite)
        try await destination.close()

        let dry = try await Self.run(["--from", from, "--to", to, "--batch-size", "3", "--dry-run"])
        #expect(dry.contains("Would copy 7 access token(s)"))
        var check = try await StoreDrivers.open(to)
        #expect(try await check.counts().accessTokens == 1)
        try await check.close()

        for _ in 0..<2 {
            let output = try await Self.run(["--from", from, "--to", to, "--batch-size", "3"])
            #expect(output.contains("Copied 7 access token(s)"))
        }
        check = try await StoreDrivers.open(to)
        let page = try await check.listAccessTokens(after: nil, limit: 100)
        try await check.close()
        #expect(page.tokens.count == 7)
        #expect(page.tokens.first { $0.userID == "u0" }?.token == "newer")
        #expect(page.tokens.first { $0.userID == "u5" }?.token == "t5")
    }

    /// memory -> SQLite with --verify passes; a changed destination token fails with exit 3.
    @Test func verifyPassesThenDetectsAChangedToken() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let from = "file://" + directory + "/src"
        let to = "sqlite://" + directory + "/dest.db"
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        let source = try await StoreDrivers.open(from)
        _ = try await source.saveAccessTokens(
            (0..<5).map { AccessToken(provider: "p", userID: "u\($0)", token: "t\($0)", secret: "s\($0)", createdAt: base) },
            policy: .overwrite)
        try await source.close()
        let output = try await Self.run(["--from", from, "--to", to, "--verify", "--batch-size", "2"])
        #expect(output.contains("Verified"))

        let destination = try await StoreDrivers.open(to)
        _ = try await destination.saveAccessTokens(
            [AccessToken(provider: "p", userID: "u3", token: "changed", secret: "x", createdAt: base.addingTimeInterval(9))],
            policy: .overwrite)
        try await destination.close()
        let captured = CapturedConsole(environment: ["XDG_STATE_HOME": directory + "/state"])
        let command = try #require(
            try TokenStoreCommand.parseAsRoot(["migrate", "--from", from, "--to", to, "--verify"]) as? MigrateCommand)
        await #expect(throws: ExitCode(3)) { try await command.execute(console: captured.console) }
        #expect(captured.error.contains("content differs: access token p/u3"))
        #expect(!captured.error.contains("s3") && !captured.output.contains("s3"))
    }

    /// The built binary: file -> SQLite with --verify exits 0; a bad batch size is a usage error (64, EX_USAGE).
    @Test func builtBinaryFileToSQLite() async throws {
        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found beside the tests")
        let directory = try StoreLocation.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let from = "file://" + directory + "/src"
        let to = "sqlite://" + directory + "/dest.db"
        let source = try await StoreDrivers.open(from)
        _ = try await source.saveAccessTokens(
            (0..<4).map { AccessToken(provider: "p", userID: "u\($0)", token: "t\($0)", secret: "s\($0)", createdAt: Date()) },
            policy: .overwrite)
        try await source.close()
        let (status, output, _) = try await DemoCommandTests.run(binary, ["migrate", "--from", from, "--to", to, "--verify"])
        #expect(status == 0)
        #expect(output.contains("Copied 4 access token(s)"))
        let (usage, _, _) = try await DemoCommandTests.run(binary, ["migrate", "--from", from, "--to", to, "--batch-size", "0"])
        #expect(usage == 64)
    }
}
