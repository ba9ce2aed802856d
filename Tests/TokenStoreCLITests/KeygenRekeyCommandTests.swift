import ArgumentParser
import Foundation
import Testing
import TokenStoreKit
import TokenStoreMigration
import TokenStoreSealing

@testable import TokenStoreCLI

/// `tokenstore rekey URL` with keys from the environment.
@Suite(.inProcessTimeLimit) struct KeygenRekeyCommandTests {
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
            let console = CapturedConsole(
                environment: [SealingKeyRing.environmentVariable: keys, "XDG_STATE_HOME": directory + "/state"])
            let command = try #require(try TokenStoreCommand.parseAsRoot(["rekey", url] + arguments) as? RekeyCommand)
            try await command.execute(console: console.console)
            return console.output
        }

        let refused = await #expect(throws: CLIFailure.self) { _ = try await rekey([], keys: line1) }
        #expect(refused?.message.contains("not sealed") == true)
        let sealing = try await rekey(["--allow-plaintext", "--page-size", "2"], keys: line1)
        #expect(sealing.contains("re-sealed 5 access tokens (5 were plain text)"))
        #expect(sealing.contains("0 access tokens still under other keys"))

        let rotating = try await rekey(["--page-size", "2"], keys: line2 + "," + line1)
        #expect(rotating.contains("re-sealed 5 access tokens (0 were plain text), 0 already"))
        #expect(rotating.contains("0 access tokens still under other keys"))
        #expect(rotating.contains("0 request tokens still under other keys"))
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

    /// Interrupted after the first page (as SIGINT does): exit 4 and a checkpoint; `--resume`
    /// finishes, request tokens re-sealed with their expiry, zero records left on the old key.
    @Test func rekeyIsResumableAndResealsRequestTokens() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-cli-rekey-resume")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let url = "sqlite://\(directory)/tokens.db"
        let k1 = try MigrateCommandSealingTests.keyLine("k1")
        let k2 = try MigrateCommandSealingTests.keyLine("k2")
        let old = SealedTokenStore(wrapping: try await StoreDrivers.open(url), keys: try MigrateCommandSealingTests.ring(k1))
        try await old.saveAccessTokens(MigrateFixture.accessTokens(25), policy: .overwrite)
        let requests = MigrateFixture.requestTokens(4)
        try await old.saveRequestTokens(requests)
        try await old.close()
        let checkpoint = directory + "/rekey.json"
        let environment = [SealingKeyRing.environmentVariable: k2 + "," + k1, "XDG_STATE_HOME": directory + "/state"]

        func rekey(_ arguments: [String], control: MigrationControl = MigrationControl()) async throws -> (CapturedConsole, (any Error)?) {
            let console = CapturedConsole(environment: environment)
            let command = try #require(
                try TokenStoreCommand.parseAsRoot(["rekey", url, "--page-size", "10", "--checkpoint", checkpoint] + arguments)
                    as? RekeyCommand)
            do {
                try await command.execute(console: console.console, terminal: MigrateTerminal(control: control))
                return (console, nil)
            } catch {
                return (console, error)
            }
        }

        let control = MigrationControl()
        control.requestStop()
        let (stopped, stopError) = try await rekey([], control: control)
        #expect((stopError as? ExitCode) == ExitCode(MigrateExitCode.interrupted))
        #expect(stopped.output.contains("re-sealed 10 access tokens") && stopped.output.contains("interrupted"))
        #expect(stopped.error.contains("interrupted after 10 token(s); continue with --resume"))
        #expect(try MigrationCheckpointFile(path: checkpoint).load()?.operation == .rekey)

        let (_, wrongRun) = try await rekey(["--resume", "--skip-request-tokens"])
        #expect((wrongRun as? CLIFailure)?.message.contains("belongs to another run") == true)

        let (resumed, resumeError) = try await rekey(["--resume"])
        #expect(resumeError == nil, "\(resumed.error)")
        #expect(resumed.output.contains("re-sealed 25 access tokens (0 were plain text), 0 already"))
        #expect(resumed.output.contains("re-sealed 4 request tokens"))
        #expect(resumed.output.contains("0 access tokens still under other keys or plain, 0 request tokens still under other keys"))
        #expect(!FileManager.default.fileExists(atPath: checkpoint))
        for text in [stopped.output, stopped.error, resumed.output, resumed.error] {
            #expect(!text.contains("migrate-secret") && !text.contains("migrate-request-secret"))
            #expect(!text.contains(String(k1.split(separator: ":").last ?? "")))
        }

        let raw = try await StoreDrivers.open(url)
        #expect(try await raw.listRequestTokens(after: nil, limit: 10).tokens.allSatisfy { $0.secret.hasPrefix("tsv1:k2:") })
        let onlyNew = SealedTokenStore(wrapping: raw, keys: try MigrateCommandSealingTests.ring(k2))
        #expect(try await onlyNew.listAccessTokens(after: nil, limit: 100).tokens
            == MigrateFixture.accessTokens(25).sorted { $0.key < $1.key })
        for request in requests {
            let taken = try await onlyNew.takeRequestToken(request.token)
            #expect(taken == request)
        }
        try await onlyNew.close()
    }
}
