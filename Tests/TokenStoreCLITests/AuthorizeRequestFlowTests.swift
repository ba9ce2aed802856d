import ArgumentParser
import Foundation
import OAuth1
import OAuth1Testing
import Synchronization
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

/// `tokenstore authorize` then `tokenstore request`, in-process, against a
/// LocalOAuth1Provider, with the PIN typed on standard input.
@Suite(.serverTimeLimit) struct AuthorizeRequestFlowTests {
    static let consumer = ClientCredentials(key: "cli-app", secret: "cli-consumer-secret-" + UUID().uuidString)

    static func provider() async throws -> LocalOAuth1Provider {
        try await LocalOAuth1Provider.start(
            LocalOAuth1Provider.Configuration(
                consumers: [.init(key: consumer.key, secret: consumer.secret)],
                user: .init(id: "4242", screenName: "cli_user")))
    }

    static var environment: [String: String] {
        [ConsumerOptions.keyVariable: consumer.key, ConsumerOptions.secretVariable: consumer.secret]
    }

    static func endpointFlags(_ provider: LocalOAuth1Provider) -> [String] {
        [
            "--provider-id", "local",
            "--request-token-url", provider.endpoints.requestTokenURL.absoluteString,
            "--authorize-url", provider.endpoints.authorizeURL.absoluteString,
            "--access-token-url", provider.endpoints.accessTokenURL.absoluteString,
        ]
    }

    /// A console whose standard input answers with the PIN for the authorize URL printed
    /// so far: the user reading the URL, approving, and typing the PIN.
    static func pinTypingConsole(
        _ provider: LocalOAuth1Provider, environment: [String: String],
        pin: @escaping @Sendable (String) -> String = { $0 }
    )
        -> (CapturedConsole, CLIConsole)
    {
        let captured = CapturedConsole(environment: environment)
        var console = captured.console
        console.readLine = {
            guard let line = captured.output.split(separator: "\n").first(where: { $0.contains("/oauth/authorize?") }),
                let url = URL(string: line.trimmingCharacters(in: .whitespaces)),
                let query = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedQuery,
                let token = try? OAuth1PercentEncoding.parseForm(query).first(named: "oauth_token"),
                let approval = try? provider.approve(requestToken: token)
            else { return nil }
            return pin(approval.verifier)
        }
        return (captured, console)
    }

    @Test func authorizeThenRequest() async throws {
        let provider = try await Self.provider()
        defer { Task { await provider.stop() } }
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-cli-test")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = "sqlite://\(directory)/tokens.db"

        let (captured, console) = Self.pinTypingConsole(provider, environment: Self.environment, pin: { " \($0) " })
        let authorize = try #require(
            try TokenStoreCommand.parseAsRoot(["authorize", "--store", store] + Self.endpointFlags(provider))
                as? AuthorizeCommand)
        try await authorize.execute(console: console)
        let output = captured.output
        #expect(output.contains("Open this URL"))
        #expect(output.contains("user id:     4242"))
        #expect(output.contains("screen name: cli_user"))
        #expect(output.contains("Stored the access token in \(store)"))

        let opened = try await StoreDrivers.open(store)
        let token = try #require(try await opened.accessToken(for: AccessTokenKey(provider: "local", userID: "4242")))
        #expect(token.screenName == "cli_user")
        #expect(!output.contains(token.secret) && !output.contains(Self.consumer.secret))
        #expect(try await opened.counts().requestTokens == 0)
        try await opened.close()

        let request = CapturedConsole(environment: Self.environment)
        let command = try #require(
            try TokenStoreCommand.parseAsRoot([
                "request", "--store", store, "--provider", "local", "--user", "4242",
                provider.protectedResourceURL.absoluteString,
            ]) as? RequestCommand)
        try await command.execute(console: request.console)
        #expect(request.output.hasPrefix("HTTP 200\n"))
        #expect(request.output.contains("cli_user"))
        #expect(!request.output.contains(token.secret))

        let post = CapturedConsole(environment: Self.environment)
        let postCommand = try #require(
            try TokenStoreCommand.parseAsRoot([
                "request", "--store", store, "--provider", "local", "--user", "4242", "-d", "status=hello world",
                provider.protectedResourceURL.absoluteString,
            ]) as? RequestCommand)
        try await postCommand.execute(console: post.console)
        #expect(post.output.contains("HTTP 200"))
        #expect(post.output.contains("POST"))
    }

    @Test func requestForAnUnknownUserIsAClearError() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-cli-test")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let command = try #require(
            try TokenStoreCommand.parseAsRoot([
                "request", "--store", "sqlite://\(directory)/tokens.db", "--provider", "local", "--user", "nobody",
                "https://api.example.com/1/me",
            ]) as? RequestCommand)
        let failure = await #expect(throws: CLIFailure.self) {
            try await command.execute(console: CapturedConsole(environment: Self.environment).console)
        }
        #expect(failure?.message.contains("no access token or token set for local/nobody") == true)
        #expect(failure?.message.contains("tokenstore authorize") == true)
    }

    @Test func authorizeWithoutAPinOrWithAWrongOneFails() async throws {
        let provider = try await Self.provider()
        defer { Task { await provider.stop() } }
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-cli-test")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = ["authorize", "--store", "sqlite://\(directory)/tokens.db"] + Self.endpointFlags(provider)

        let noPin = await #expect(throws: CLIFailure.self) {
            let command = try #require(try TokenStoreCommand.parseAsRoot(arguments) as? AuthorizeCommand)
            try await command.execute(console: CapturedConsole(environment: Self.environment).console)
        }
        #expect(noPin?.message.contains("no PIN") == true)

        let (_, console) = Self.pinTypingConsole(provider, environment: Self.environment, pin: { _ in "0000000" })
        let wrongPin = await #expect(throws: CLIFailure.self) {
            let command = try #require(try TokenStoreCommand.parseAsRoot(arguments) as? AuthorizeCommand)
            try await command.execute(console: console)
        }
        #expect(wrongPin?.message.contains("provider rejected") == true)
        #expect(wrongPin?.message.contains(Self.consumer.secret) == false)
    }

    @Test func authorizeDefaultsToTheUserDataDirectory() async throws {
        let provider = try await Self.provider()
        defer { Task { await provider.stop() } }
        let root = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-xdg")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var environment = Self.environment
        environment["XDG_DATA_HOME"] = root
        let (captured, console) = Self.pinTypingConsole(provider, environment: environment)
        let command = try #require(
            try TokenStoreCommand.parseAsRoot(["authorize"] + Self.endpointFlags(provider)) as? AuthorizeCommand)
        try await command.execute(console: console)
        #expect(captured.output.contains("Stored the access token in sqlite://\(root)/tokenstore/tokens.db"))
        #expect(FileManager.default.fileExists(atPath: root + "/tokenstore/tokens.db"))
        let mode = try FileManager.default.attributesOfItem(atPath: root + "/tokenstore")[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }
}
