import ArgumentParser
import Foundation
import OAuth1
import OAuth1Testing
import Testing
import TokenStoreKit
import TokenStoreSealing

@testable import TokenStoreCLI

/// `request` and `authorize` against a LocalOAuth1Provider: a sealed secret without keys
/// sends nothing, `--fail` and the exit statuses, RSA-SHA1 end to end, `--timeout`, the
/// unconfirmed-callback message and flag, and the line after the PIN prompt.
@Suite(.timeLimit(.minutes(5))) struct RequestAuthorizeOptionsTests {
    /// The RFC 5849 test key's public half (its private half is SignCommandTests.testCasesPrivateKeyPEM).
    static let publicKeyPEM = """
        -----BEGIN PUBLIC KEY-----
        MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC0YjCwIfYoprq/FQO6lb3asXrx
        LlJFuCvtinTF5p0GxvQGu5O3gYytUvtC2JlYzypSRjVxwxrsuRcP3e641SdASwfr
        mzyvIgP08N4S0IFzEURkV1wp/IpH7kH41EtbmUmrXSwfNZsnQRE5SYSOhh+LcK2w
        yQkdgcMv11l4KoBkcwIDAQAB
        -----END PUBLIC KEY-----
        """

    static func parse<Command: ParsableCommand>(_ arguments: [String], as type: Command.Type) throws -> Command {
        try #require(try TokenStoreCommand.parseAsRoot(arguments) as? Command)
    }

    /// Runs `authorize` with the PIN typed for the URL it prints.
    static func authorize(
        _ provider: LocalOAuth1Provider, store: String, extra: [String] = [], environment: [String: String]
    ) async throws -> CapturedConsole {
        let (captured, console) = AuthorizeRequestFlowTests.pinTypingConsole(provider, environment: environment)
        let command = try parse(
            ["authorize", "--store", store] + AuthorizeRequestFlowTests.endpointFlags(provider) + extra, as: AuthorizeCommand.self)
        try await command.execute(console: console)
        return captured
    }

    static func requestArguments(_ provider: LocalOAuth1Provider, store: String, user: String = "4242") -> [String] {
        ["request", "--store", store, "--provider", "local", "--user", user, provider.protectedResourceURL.absoluteString]
    }

    @Test func aSealedSecretWithoutKeysStopsBeforeSending() async throws {
        let provider = try await AuthorizeRequestFlowTests.provider()
        defer { Task { await provider.stop() } }
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-request-sealed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = "sqlite://\(directory)/tokens.db"
        let key = try MigrateCommandSealingTests.keyLine("k1")
        var sealedEnvironment = AuthorizeRequestFlowTests.environment
        sealedEnvironment[SealingKeyRing.environmentVariable] = key
        _ = try await Self.authorize(provider, store: store, environment: sealedEnvironment)

        let before = provider.requestCount(at: .protectedResource)
        let console = CapturedConsole(environment: AuthorizeRequestFlowTests.environment)
        let command = try Self.parse(Self.requestArguments(provider, store: store), as: RequestCommand.self)
        let failure = await #expect(throws: CLIFailure.self) { try await command.execute(console: console.console) }
        let message = try #require(failure?.message)
        #expect(message.contains("sealing failed") && message.contains("sealed with key 'k1'"))
        #expect(message.contains("--sealing-keys") && message.contains("access token local/4242"))
        #expect(!message.contains("tsv1:"))
        #expect(provider.requestCount(at: .protectedResource) == before)
        #expect(console.output.isEmpty)

        let opened = CapturedConsole(environment: sealedEnvironment)
        try await Self.parse(Self.requestArguments(provider, store: store), as: RequestCommand.self)
            .execute(console: opened.console)
        #expect(opened.output.hasPrefix("HTTP 200\n"))
        #expect(provider.requestCount(at: .protectedResource) == before + 1)
    }

    @Test func failExitsWith22AndPrintsTheAnswerToStandardError() async throws {
        let provider = try await AuthorizeRequestFlowTests.provider()
        defer { Task { await provider.stop() } }
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-request-fail")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = "sqlite://\(directory)/tokens.db"
        let opened = try await StoreDrivers.open(store)
        try await opened.saveAccessToken(
            AccessToken(provider: "local", userID: "4242", token: "unknown-to-the-provider", secret: "s", createdAt: Date()))
        try await opened.close()

        let lenient = CapturedConsole(environment: AuthorizeRequestFlowTests.environment)
        try await Self.parse(Self.requestArguments(provider, store: store), as: RequestCommand.self)
            .execute(console: lenient.console)
        #expect(lenient.output.hasPrefix("HTTP 401\n"))

        for flag in ["-f", "--fail"] {
            let strict = CapturedConsole(environment: AuthorizeRequestFlowTests.environment)
            let command = try Self.parse(Self.requestArguments(provider, store: store) + [flag], as: RequestCommand.self)
            await #expect(throws: ExitCode(RequestCommand.httpErrorExitCode)) {
                try await command.execute(console: strict.console)
            }
            #expect(strict.output.isEmpty)
            #expect(strict.error.hasPrefix("HTTP 401\n") && strict.error.count > "HTTP 401\n".count)
        }

        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found")
        let (status, output, error) = try await DemoCommandTests.run(
            binary, Self.requestArguments(provider, store: store) + ["--fail"], environment: AuthorizeRequestFlowTests.environment)
        #expect(status == 22)
        #expect(output.isEmpty && error.hasPrefix("HTTP 401"))
        let (okStatus, okOutput, _) = try await DemoCommandTests.run(
            binary, Self.requestArguments(provider, store: store), environment: AuthorizeRequestFlowTests.environment)
        #expect(okStatus == 0 && okOutput.hasPrefix("HTTP 401"))

        let help = TokenStoreCommand.helpMessage(for: RequestCommand.self)
        #expect(help.contains("Exit status: 0") && help.contains("22 with --fail") && help.contains("--fail"))
    }

    @Test func rsaSHA1AuthorizeAndRequestWithoutAConsumerSecret() async throws {
        let consumer = AuthorizeRequestFlowTests.consumer
        var configuration = LocalOAuth1Provider.Configuration(
            consumers: [.init(key: consumer.key, secret: consumer.secret, rsaPublicKeyPEM: Self.publicKeyPEM)],
            user: .init(id: "4242", screenName: "cli_user"))
        configuration.acceptedSignatureMethods = ["RSA-SHA1"]
        let provider = try await LocalOAuth1Provider.start(configuration)
        defer { Task { await provider.stop() } }
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-request-rsa")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keyFile = directory + "/consumer.pem"
        try Data(SignCommandTests.testCasesPrivateKeyPEM.utf8).write(to: URL(fileURLWithPath: keyFile))
        let store = "sqlite://\(directory)/tokens.db"
        let rsa = ["--signature-method", "RSA-SHA1", "--rsa-key", keyFile]
        let environment = [ConsumerOptions.keyVariable: consumer.key]

        let authorized = try await Self.authorize(provider, store: store, extra: rsa, environment: environment)
        #expect(authorized.output.contains("user id:     4242"))

        let request = CapturedConsole(environment: environment)
        try await Self.parse(Self.requestArguments(provider, store: store) + rsa, as: RequestCommand.self)
            .execute(console: request.console)
        #expect(request.output.hasPrefix("HTTP 200\n"))
        #expect(request.output.contains("cli_user"))

        // The provider takes RSA-SHA1 only: the default HMAC-SHA1 is refused.
        let hmac = CapturedConsole(environment: AuthorizeRequestFlowTests.environment)
        try await Self.parse(Self.requestArguments(provider, store: store), as: RequestCommand.self)
            .execute(console: hmac.console)
        #expect(hmac.output.hasPrefix("HTTP 401") || hmac.output.hasPrefix("HTTP 400"))
    }

    @Test func timeoutBoundsEachExchange() async throws {
        let provider = try await AuthorizeRequestFlowTests.provider()
        defer { Task { await provider.stop() } }
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-request-timeout")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = "sqlite://\(directory)/tokens.db"
        _ = try await Self.authorize(provider, store: store, environment: AuthorizeRequestFlowTests.environment)

        // Shorter than the default 30 s, far longer than --timeout 1: only the flag makes it fail.
        provider.inject(.delay(.seconds(20)), at: .protectedResource)
        let request = try Self.parse(Self.requestArguments(provider, store: store) + ["--timeout", "1"], as: RequestCommand.self)
        let requestFailure = await #expect(throws: CLIFailure.self) {
            try await request.execute(console: CapturedConsole(environment: AuthorizeRequestFlowTests.environment).console)
        }
        #expect(requestFailure?.message.contains("timed out") == true)

        provider.inject(.delay(.seconds(20)), at: .requestToken)
        let authorize = try Self.parse(
            ["authorize", "--store", store, "--timeout", "1"] + AuthorizeRequestFlowTests.endpointFlags(provider),
            as: AuthorizeCommand.self)
        let authorizeFailure = await #expect(throws: CLIFailure.self) {
            try await authorize.execute(console: CapturedConsole(environment: AuthorizeRequestFlowTests.environment).console)
        }
        #expect(authorizeFailure?.message.contains("timed out") == true)

        for bad in ["0", "-1", "nan", "inf", "100000"] {
            #expect(throws: (any Error).self) {
                _ = try TokenStoreCommand.parseAsRoot(Self.requestArguments(provider, store: store) + ["--timeout", bad])
            }
        }
    }

    @Test func anUnconfirmedCallbackNamesTheFlagThatAcceptsIt() async throws {
        let provider = try await AuthorizeRequestFlowTests.provider()
        defer { Task { await provider.stop() } }
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-authorize-unconfirmed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = "sqlite://\(directory)/tokens.db"
        provider.inject(.omitCallbackConfirmed, at: .requestToken)

        let command = try Self.parse(
            ["authorize", "--store", store] + AuthorizeRequestFlowTests.endpointFlags(provider), as: AuthorizeCommand.self)
        let failure = await #expect(throws: CLIFailure.self) {
            try await command.execute(console: CapturedConsole(environment: AuthorizeRequestFlowTests.environment).console)
        }
        let message = try #require(failure?.message)
        #expect(message.contains("--allow-unconfirmed-callback"))
        #expect(!message.contains("requiresCallbackConfirmed"))

        let accepted = try await Self.authorize(
            provider, store: store, extra: ["--allow-unconfirmed-callback"], environment: AuthorizeRequestFlowTests.environment)
        #expect(accepted.output.contains("user id:     4242"))
    }

    @Test func theLineAfterThePINPromptEndsBeforeAnError() async throws {
        let provider = try await AuthorizeRequestFlowTests.provider()
        defer { Task { await provider.stop() } }
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-authorize-prompt")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = ["authorize", "--store", "sqlite://\(directory)/tokens.db"] + AuthorizeRequestFlowTests.endpointFlags(provider)
        let prompt = "Then enter the PIN the provider shows: "

        let empty = CapturedConsole(environment: AuthorizeRequestFlowTests.environment)
        await #expect(throws: CLIFailure.self) {
            try await Self.parse(arguments, as: AuthorizeCommand.self).execute(console: empty.console)
        }
        #expect(empty.output.hasSuffix(prompt + "\n"))

        let (wrong, console) = AuthorizeRequestFlowTests.pinTypingConsole(
            provider, environment: AuthorizeRequestFlowTests.environment, pin: { _ in "0000000" })
        await #expect(throws: CLIFailure.self) {
            try await Self.parse(arguments, as: AuthorizeCommand.self).execute(console: console)
        }
        #expect(wrong.output.hasSuffix(prompt + "\n"))

        // Through a pipe, as a script would: the "Error:" line starts a line of its own.
        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found")
        let (status, output, error) = try await DemoCommandTests.run(
            binary, arguments, environment: AuthorizeRequestFlowTests.environment)
        #expect(status == 1)
        #expect(output.hasSuffix(prompt + "\n"))
        #expect(error.hasPrefix("Error: no PIN"))
    }
}
