import Foundation
import OAuth1
import OAuth1Testing
import Testing
import TokenStoreKit
import TokenStoreTesting
@testable import TokenStoreCLI

/// Separate processes: the `tokenstore authorize` binary stores a token (the PIN written
/// to its standard input through a pipe), then the `tokenstore request` binary signs
/// with it from the same SQLite file.
@Suite(.serverTimeLimit) struct AuthorizeBinaryTests {
    @Test func authorizeBinaryThenRequestBinary() async throws {
        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found")
        let consumer = AuthorizeRequestFlowTests.consumer
        let provider = try await AuthorizeRequestFlowTests.provider()
        defer { Task { await provider.stop() } }
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-bin-test")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = "sqlite://\(directory)/tokens.db"

        // SpawnedProcess, not Foundation's Process: see SpawnedProcess for why.
        let authorize = try SpawnedProcess.spawnPiped(
            binary.path, ["authorize", "--store", store] + AuthorizeRequestFlowTests.endpointFlags(provider),
            environment: AuthorizeRequestFlowTests.environment)

        let prompt = await authorize.read(until: "PIN")
        let line = try #require(prompt.split(separator: "\n").first { $0.contains("/oauth/authorize?") })
        let url = try #require(URL(string: line.trimmingCharacters(in: .whitespaces)))
        let query = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedQuery)
        let token = try #require(try OAuth1PercentEncoding.parseForm(query).first(named: "oauth_token"))
        let approval = try provider.approve(requestToken: token)
        try authorize.input.write(contentsOf: Data((approval.verifier + "\n").utf8))
        try authorize.input.close()
        let rest = await authorize.read()
        #expect(await authorize.process.wait().status == 0)
        #expect(rest.contains("user id:     4242"))

        let (status, body, _) = try await DemoCommandTests.run(
            binary,
            [
                "request", "--store", store, "--provider", "local", "--user", "4242",
                "--consumer-key", consumer.key, provider.protectedResourceURL.absoluteString,
            ],
            environment: [ConsumerOptions.secretVariable: consumer.secret])
        #expect(status == 0)
        #expect(body.hasPrefix("HTTP 200"))
        #expect(body.contains("cli_user"))

        let (missing, _, error) = try await DemoCommandTests.run(
            binary,
            ["request", "--store", store, "--provider", "local", "--user", "nobody", "https://e.example/"],
            environment: AuthorizeRequestFlowTests.environment)
        #expect(missing != 0)
        #expect(error.contains("no access token or token set for local/nobody"))
    }
}
