import ArgumentParser
import Foundation
import OAuth1
import Testing

@testable import TokenStoreCLI

@Suite(.inProcessTimeLimit) struct AuthorizeCommandParsingTests {
    static func parse(_ arguments: [String]) throws -> AuthorizeCommand {
        try #require(try TokenStoreCommand.parseAsRoot(["authorize"] + arguments) as? AuthorizeCommand)
    }

    @Test func twitterPreset() throws {
        let (endpoints, id) = try Self.parse(["--provider", "twitter"]).resolveProvider()
        #expect(id == "twitter")
        #expect(endpoints == OAuth1ProviderEndpoints.twitter)
    }

    @Test func customEndpointsDefaultTheIDToTheHost() throws {
        let (endpoints, id) = try Self.parse([
            "--request-token-url", "https://api.example.com/oauth/request_token",
            "--authorize-url", "https://api.example.com/oauth/authorize",
            "--access-token-url", "https://api.example.com/oauth/access_token",
        ]).resolveProvider()
        #expect(id == "api.example.com")
        #expect(endpoints.authorizeURL.absoluteString == "https://api.example.com/oauth/authorize")
        let named = try Self.parse([
            "--provider-id", "example", "--request-token-url", "https://a.example/rt",
            "--authorize-url", "https://a.example/auth", "--access-token-url", "https://a.example/at",
        ]).resolveProvider()
        #expect(named.1 == "example")
    }

    @Test(arguments: [
        ["--provider", "nosuch"],
        [],
        ["--request-token-url", "https://a.example/rt"],
        [
            "--request-token-url", "nope", "--authorize-url", "https://a.example/a", "--access-token-url",
            "https://a.example/t",
        ],
    ])
    func unusableProviderFlagsFail(_ arguments: [String]) throws {
        let command = try Self.parse(arguments)
        #expect(throws: CLIFailure.self) { try command.resolveProvider() }
    }

    @Test func consumerCredentialsFromFlagsThenEnvironment() throws {
        let fromEnvironment = try Self.parse(["--provider", "twitter"]).consumer.credentials(environment: [
            ConsumerOptions.keyVariable: "env-key", ConsumerOptions.secretVariable: "env-secret",
        ])
        #expect(fromEnvironment == ClientCredentials(key: "env-key", secret: "env-secret"))
        let fromFlags = try Self.parse([
            "--provider", "twitter", "--consumer-key", "flag-key", "--consumer-secret", "flag-secret",
        ])
        .consumer.credentials(environment: [
            ConsumerOptions.keyVariable: "env-key", ConsumerOptions.secretVariable: "env-secret",
        ])
        #expect(fromFlags == ClientCredentials(key: "flag-key", secret: "flag-secret"))
    }

    @Test func missingConsumerCredentialsNameTheFlagAndVariable() throws {
        let command = try Self.parse(["--provider", "twitter"])
        let noKey = #expect(throws: CLIFailure.self) { try command.consumer.credentials(environment: [:]) }
        #expect(noKey?.message.contains(ConsumerOptions.keyVariable) == true)
        let noSecret = #expect(throws: CLIFailure.self) {
            try command.consumer.credentials(environment: [ConsumerOptions.keyVariable: "k"])
        }
        #expect(noSecret?.message.contains(ConsumerOptions.secretVariable) == true)
    }

    @Test func defaultStoreFollowsXDGAndIsPrivate() throws {
        let root = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-xdg-test")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let xdg = try StoreLocation.defaultUserStoreURL(environment: [
            "XDG_DATA_HOME": root + "/data", "HOME": "/nonexistent",
        ])
        #expect(xdg == "sqlite://\(root)/data/tokenstore/tokens.db")
        let mode =
            try FileManager.default.attributesOfItem(atPath: root + "/data/tokenstore")[.posixPermissions] as? Int
        #expect(mode == 0o700)

        let home = try StoreLocation.defaultUserStoreURL(environment: [
            "XDG_DATA_HOME": "relative/ignored", "HOME": root,
        ])
        #expect(home == "sqlite://\(root)/.local/share/tokenstore/tokens.db")
        #expect(throws: CLIFailure.self) { try StoreLocation.defaultUserStoreURL(environment: [:]) }
    }

    @Test func storeFlagWinsOverTheDefault() throws {
        let command = try Self.parse(["--provider", "twitter", "--store", "memory:"])
        #expect(try command.storeOptions.url(environment: [:]) == "memory:")
    }
}
