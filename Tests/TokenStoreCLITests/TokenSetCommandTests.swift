import ArgumentParser
import Foundation
import Testing
import TokenStoreKit
import TokenStoreMigration
import TokenStoreSealing

@testable import TokenStoreCLI

/// OAuth 2.0 token sets through the commands, on `memory:` stores in this process: `stats`
/// counts them, `bench` measures set-get/set-put/set-cas, `migrate` copies and verifies
/// them, `rekey` re-seals them.
@Suite(.inProcessTimeLimit) struct TokenSetCommandTests {
    static func memoryURL(_ label: String) -> String { "memory:tokensets-\(label)-\(UUID().uuidString.lowercased())" }

    static let base = Date(timeIntervalSince1970: 1_700_000_000)

    static func tokenSets(_ count: Int, provider: String = "github") -> [OAuth2TokenSet] {
        (0..<count).map { tokenSet($0, provider: provider) }
    }

    static func tokenSet(_ index: Int, provider: String) -> OAuth2TokenSet {
        let refreshToken: String? = index == 0 ? nil : "ghr-secret-\(index)"
        let idToken: String? = index % 2 == 0 ? "id-secret-\(index)" : nil
        return OAuth2TokenSet(
            provider: provider, userID: "user\(index)", accessToken: "gho-secret-\(index)",
            expiresAt: base.addingTimeInterval(3600), refreshToken: refreshToken, scope: "repo", idToken: idToken,
            metadata: ["n": "\(index)"], createdAt: base, updatedAt: base.addingTimeInterval(Double(index)))
    }

    static func save(_ sets: [OAuth2TokenSet], into url: String, keys: SealingKeyRing? = nil) async throws {
        let opened = try await StoreDrivers.open(url)
        let store: any TokenStore = keys.map { SealedTokenStore(wrapping: opened, keys: $0) } ?? opened
        try await store.saveTokenSets(sets, policy: .overwrite)
        try await store.close()
    }

    static func expectNoSecret(_ texts: String...) {
        for text in texts {
            #expect(!text.contains("gho-secret") && !text.contains("ghr-secret") && !text.contains("id-secret"))
        }
    }

    // MARK: stats

    @Test func statsCountsTokenSetsInTheTableAndTheJSON() async throws {
        let url = Self.memoryURL("stats")
        try await Self.save(Self.tokenSets(5), into: url)
        let store = try await StoreDrivers.open(url)
        try await store.saveAccessToken(
            AccessToken(provider: "x", userID: "1", token: "t", secret: "s", createdAt: Self.base))
        try await store.close()

        let text = CapturedConsole()
        try await #require(try TokenStoreCommand.parseAsRoot(["stats", url]) as? StatsCommand).execute(console: text.console)
        #expect(text.output.contains("Access tokens: 1\n  x: 1\nOAuth 2.0 token sets: 5"))

        let json = CapturedConsole()
        try await #require(try TokenStoreCommand.parseAsRoot(["stats", url, "--json"]) as? StatsCommand)
            .execute(console: json.console)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["tokenSets"] as? Int == 5)
        #expect(object["accessTokens"] as? Int == 1)
        Self.expectNoSecret(text.output, json.output)
    }

    // MARK: bench

    @Test func benchMeasuresTheTokenSetOperationsAndLeavesTheAppsSetsAlone() async throws {
        let url = Self.memoryURL("bench")
        let bystanders = Self.tokenSets(3, provider: "real-app")
        try await Self.save(bystanders, into: url)

        let captured = CapturedConsole()
        try await BenchCommandTests.command([
            url, "--json", "--count", "300", "--concurrency", "3", "--keys", "20", "--operations", "set-get,set-put,set-cas",
        ]).execute(console: captured.console)
        let document = try BenchTestSupport.decode(captured.output)
        BenchTestSupport.expectComplete(document, operations: ["set-get", "set-put", "set-cas"], stores: 1)
        #expect(document.stores[0].operations.allSatisfy { $0.count == 300 })
        #expect(captured.error.contains("writing 20 token sets under provider tokenstore-bench-"))
        #expect(captured.error.contains("cleaning up (0 access tokens, 20 token sets, 0 request tokens)"))

        let store = try await StoreDrivers.open(url)
        #expect(try await store.counts() == TokenCounts(requestTokens: 0, accessTokens: 0, tokenSets: 3))
        let left = try await store.listTokenSets(after: nil, limit: 10).tokenSets
        #expect(left.map(\.provider) == ["real-app", "real-app", "real-app"])
        #expect(left.allSatisfy { $0.version == 1 })
        try await store.close()
        Self.expectNoSecret(captured.output, captured.error)
    }

    @Test func benchTableAndPictureShowTokenSetRowsBesideAccessTokenRows() async throws {
        let url = Self.memoryURL("table")
        let path = NSTemporaryDirectory() + "tokenstore-bench-tokensets-\(UUID().uuidString).svg"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let captured = CapturedConsole()
        try await BenchCommandTests.command([
            url, "--count", "200", "--keys", "10", "--warmup", "0", "--operations", "get,set-get,set-cas", "--histogram", path,
        ]).execute(console: captured.console)
        let rows = captured.output.split(separator: "\n").map(String.init)
        for name in ["get", "set-get", "set-cas"] {
            #expect(rows.contains { $0.hasPrefix(name + " ") && $0.contains("1:memory") }, "\(name) row")
        }
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        #expect(svg.contains(#"data-operation="set-cas""#) && svg.contains("replaceTokenSet(ifVersion:)"))
        let store = try await StoreDrivers.open(url)
        #expect(try await store.counts() == TokenCounts(requestTokens: 0, accessTokens: 0, tokenSets: 0))
        try await store.close()
    }

    @Test func benchRunsTheTokenSetOperationsSealed() async throws {
        let url = Self.memoryURL("bench-sealed")
        let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let captured = CapturedConsole(environment: [SealingKeyRing.environmentVariable: "k1:\(key)"])
        // set-put first: set-cas then starts from versions the puts moved on.
        try await BenchCommandTests.command([
            url, "--count", "120", "--keys", "8", "--concurrency", "4", "--json", "--operations", "set-put,set-cas,set-get",
        ]).execute(console: captured.console)
        let document = try BenchTestSupport.decode(captured.output)
        BenchTestSupport.expectComplete(document, operations: ["set-put", "set-cas", "set-get"], stores: 1)
        #expect(document.stores.first?.store == url + " (sealed)")
        let store = try await StoreDrivers.open(url)
        #expect(try await store.counts() == TokenCounts(requestTokens: 0, accessTokens: 0, tokenSets: 0))
        try await store.close()
    }

    @Test func benchHelpListsTheTokenSetOperations() {
        let help = BenchCommand.helpMessage(columns: 200)
        for name in ["set-get", "set-put", "set-cas", "replaceTokenSet"] { #expect(help.contains(name), "\(name)") }
        #expect(throws: CLIFailure.self) { try BenchOperation.parseList("tokenSet") }
    }

    // MARK: migrate

    static func migrate(_ arguments: [String], state: String) async throws -> (CapturedConsole, (any Error)?) {
        try await MigrateCommandStoresTests.migrate(arguments, environment: ["XDG_STATE_HOME": state])
    }

    @Test func migrateCopiesVerifiesAndNamesAChangedTokenSet() async throws {
        let state = NSTemporaryDirectory() + "tokenstore-tokenset-migrate-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let from = Self.memoryURL("from")
        let to = Self.memoryURL("to")
        let sets = Self.tokenSets(6)
        try await Self.save(sets, into: from)

        let (dry, dryError) = try await Self.migrate(["--from", from, "--to", to, "--dry-run"], state: state)
        #expect(dryError == nil && dry.output.contains("Would copy 0 access token(s), 6 token set(s) and 0 request token(s)"))

        let (copied, error) = try await Self.migrate(["--from", from, "--to", to, "--verify", "--batch-size", "4"], state: state)
        #expect(error == nil, "\(copied.error)")
        #expect(copied.output.contains("Copied 0 access token(s) (0 written, 0 kept: same or newer in the destination), "
            + "6 token set(s) (6 written, 0 kept) and 0 request token(s)"))
        #expect(copied.output.contains("Verify token sets: source 6 sha256:"))
        #expect(copied.output.contains("Verified"))
        let destination = try await StoreDrivers.open(to)
        let stored = try await destination.listTokenSets(after: nil, limit: 10).tokenSets
        #expect(stored.map { var set = $0; set.version = 0; return set } == sets)

        var changed = try #require(stored.first { $0.userID == "user3" })
        changed.refreshToken = "ghr-secret-stolen"
        try await destination.saveTokenSet(changed, policy: .overwrite)
        try await destination.close()
        let (failed, failure) = try await Self.migrate(["--from", from, "--to", to, "--verify"], state: state)
        #expect((failure as? ExitCode) == ExitCode(MigrateExitCode.verificationMismatch))
        #expect(failed.error.contains("content differs: token set github/user3"))
        Self.expectNoSecret(dry.output, dry.error, copied.output, copied.error, failed.output, failed.error)
    }

    @Test func migrateOnlyTokenSets() async throws {
        let state = NSTemporaryDirectory() + "tokenstore-tokenset-only-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let from = Self.memoryURL("only-from")
        let to = Self.memoryURL("only-to")
        try await Self.save(Self.tokenSets(3), into: from)
        let source = try await StoreDrivers.open(from)
        try await source.saveAccessToken(AccessToken(provider: "x", userID: "1", token: "t", secret: "s", createdAt: Self.base))
        try await source.close()
        let (console, error) = try await Self.migrate(
            ["--from", from, "--to", to, "--only", "token-sets", "--verify"], state: state)
        #expect(error == nil, "\(console.error)")
        #expect(!console.output.contains("Verify access tokens") && console.output.contains("Verify token sets: source 3"))
        let destination = try await StoreDrivers.open(to)
        #expect(try await destination.counts() == TokenCounts(requestTokens: 0, accessTokens: 0, tokenSets: 3))
        try await destination.close()
    }

    /// Stopped (as by SIGINT) after the first token-set batch: exit 4 and a checkpoint in the
    /// token-set phase; `--resume` copies the rest, each set written once.
    @Test func migrateInterruptedInTheTokenSetPhaseResumes() async throws {
        let state = NSTemporaryDirectory() + "tokenstore-tokenset-interrupt-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let from = Self.memoryURL("stop-from")
        let to = Self.memoryURL("stop-to")
        try await Self.save(Self.tokenSets(7), into: from)
        let checkpoint = state + "/checkpoint.json"
        let arguments = ["--from", from, "--to", to, "--batch-size", "3", "--checkpoint", checkpoint]
        let control = MigrationControl()
        control.requestStop()
        let (stopped, stopError) = try await MigrateCommandStoresTests.migrate(
            arguments, environment: ["XDG_STATE_HOME": state], terminal: MigrateTerminal(control: control))
        #expect((stopError as? ExitCode) == ExitCode(MigrateExitCode.interrupted))
        #expect(stopped.error.contains("interrupted after 3 token(s); continue with --resume"))
        let saved = try #require(try MigrationCheckpointFile(path: checkpoint).load())
        #expect(saved.phase == .tokenSets && saved.tokenSetCursor?.userID == "user2" && saved.counts.tokenSetWritten == 3)

        let (resumed, resumeError) = try await Self.migrate(arguments + ["--resume", "--verify"], state: state)
        #expect(resumeError == nil, "\(resumed.error)")
        #expect(resumed.output.contains("7 token set(s) (7 written, 0 kept)"))
        #expect(resumed.output.contains("Resumed after 3 token(s) from the checkpoint; this run read 4"))
        #expect(resumed.output.contains("Verified"))
        #expect(!FileManager.default.fileExists(atPath: checkpoint))
        let destination = try await StoreDrivers.open(to)
        #expect(try await destination.listTokenSets(after: nil, limit: 10).tokenSets.allSatisfy { $0.version == 1 })
        try await destination.close()
    }

    @Test func progressNamesTheTokenSetPhase() {
        var counts = MigrationCounts()
        counts.accessRead = 10
        counts.tokenSetRead = 15
        let line = MigrateProgressDisplay.line(
            MigrationProgress(phase: .tokenSets, counts: counts, total: 50, readThisRun: 25), elapsed: .seconds(5))
        #expect(line.hasPrefix("token-sets 25/50 (50%), 5 tokens/s"))
    }

    // MARK: rekey

    @Test func rekeyResealsTokenSets() async throws {
        let state = NSTemporaryDirectory() + "tokenstore-tokenset-rekey-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let url = Self.memoryURL("rekey")
        let k1 = try MigrateCommandSealingTests.keyLine("k1")
        let k2 = try MigrateCommandSealingTests.keyLine("k2")
        try await Self.save(Self.tokenSets(5), into: url, keys: try MigrateCommandSealingTests.ring(k1))
        let console = CapturedConsole(
            environment: [SealingKeyRing.environmentVariable: k2 + "," + k1, "XDG_STATE_HOME": state])
        let command = try #require(try TokenStoreCommand.parseAsRoot(["rekey", url, "--page-size", "2"]) as? RekeyCommand)
        try await command.execute(console: console.console)
        #expect(console.output.contains("re-sealed 5 token sets (0 were plain text), 0 already under the primary key"))
        #expect(console.output.contains("0 token sets still under other keys or plain"))
        let store = try await StoreDrivers.open(url)
        let raw = try await store.listTokenSets(after: nil, limit: 10).tokenSets
        #expect(raw.allSatisfy { $0.accessToken.hasPrefix("tsv1:k2:") && ($0.refreshToken?.hasPrefix("tsv1:k2:") ?? true) })
        try await store.close()
        Self.expectNoSecret(console.output, console.error)
    }
}
