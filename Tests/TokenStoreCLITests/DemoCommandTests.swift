import ArgumentParser
import Foundation
import Testing
import TokenStoreTesting
import TokenStoreKit

@testable import TokenStoreCLI

@Suite(.serverTimeLimit) struct DemoCommandTests {
    static func parse(_ arguments: [String]) throws -> DemoCommand {
        try #require(try TokenStoreCommand.parseAsRoot(["demo"] + arguments) as? DemoCommand)
    }

    /// The default run: SQLite file in a temp dir, every step printed, no secret shown.
    @Test func defaultRunPrintsEveryStepAndNoSecret() async throws {
        let captured = CapturedConsole()
        try await Self.parse([]).execute(console: captured.console)
        let output = captured.output
        for step in [
            "1. Local OAuth 1.0a provider", "2. Token store: sqlite://", "3. begin", "4. The provider",
            "5. complete", "the request token is gone from the store", "replaying the callback fails",
            "6. Signed GET", "HTTP 200", "7. The store",
        ] {
            #expect(output.contains(step), "missing: \(step)")
        }
        #expect(output.contains("oauth_verifier=(hidden)"))
        #expect(output.contains("holds 1 access token(s) and 0 pending request token(s)"))

        // Open the store the demo used and check the secret it holds was never printed.
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("2. Token store: ") })
        let url = String(line.dropFirst("2. Token store: ".count))
        let store = try await StoreDrivers.open(url)
        let page = try await store.listAccessTokens(after: nil, limit: 10)
        let token = try #require(page.tokens.first)
        #expect(token.provider == DemoCommand.providerID)
        #expect(!output.contains(token.secret))
        try await store.close()
        if let path = URL(string: url)?.path {
            try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
        }
    }

    @Test func runsOnAnyStoreURL() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-demo-test")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let url = "sqlite://\(directory)/chosen.db"
        let captured = CapturedConsole()
        try await Self.parse(["--store", url]).execute(console: captured.console)
        #expect(captured.output.contains("2. Token store: \(url)"))
        #expect(FileManager.default.fileExists(atPath: directory + "/chosen.db"))
        // A second run on the same store re-authorizes the same user: still one access token.
        let again = CapturedConsole()
        try await Self.parse(["--store", url]).execute(console: again.console)
        #expect(again.output.contains("holds 1 access token(s)"))
    }

    @Test func unknownSchemeFailsWithTheRegisteredOnes() async throws {
        let failure = await #expect(throws: CLIFailure.self) {
            try await Self.parse(["--store", "nosuch://x"]).execute(console: CapturedConsole().console)
        }
        #expect(failure?.message.contains("open the store") == true)
        #expect(failure?.message.contains("sqlite") == true)
    }

    /// The real entry point: exit status 0 and the steps on stdout; non-zero with a message.
    @Test func builtBinary() async throws {
        let binary = try #require(Self.tokenstoreBinary(), "the tokenstore executable was not found beside the tests")
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-demo-bin")
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let (status, output, _) = try await Self.run(binary, ["demo", "--store", "sqlite://\(directory)/tokens.db"])
        #expect(status == 0)
        #expect(output.contains("HTTP 200"))

        let (failed, _, error) = try await Self.run(binary, ["demo", "--store", "nosuch://x"])
        #expect(failed != 0)
        #expect(error.contains("Error:") && error.contains("nosuch"))
    }

    /// Runs `binary` to its end and returns status, standard output and standard error.
    ///
    /// Spawned and reaped through ``SpawnedProcess`` (Foundation's `Process` now and then
    /// left a child unreaped under the test runner, hanging the run); output goes through
    /// files, and the wait happens off the cooperative pool.
    static func run(_ binary: URL, _ arguments: [String], environment: [String: String]? = nil) async throws
        -> (Int32, String, String)
    {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-run")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let child = try SpawnedProcess.spawn(
            binary.path, arguments, environment: environment,
            standardOutput: directory + "/out", standardError: directory + "/err")
        let outcome = await child.wait()
        let output = (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? ""
        let error = (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? ""
        return (outcome.status, output, error)
    }

    static func tokenstoreBinary() -> URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("tokenstore")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}
