import ArgumentParser
import Foundation
import Glibc
import OAuth1Testing
import Testing
import TokenStoreKit
import TokenStoreSealing

@testable import TokenStoreCLI

/// `tokenstore keygen`, and `authorize`/`request` over a store sealed with its keys.
@Suite(.serverTimeLimit) struct KeygenCommandTests {
    static func keygen(_ arguments: [String] = []) throws -> KeygenCommand {
        try #require(try TokenStoreCommand.parseAsRoot(["keygen"] + arguments) as? KeygenCommand)
    }

    @Test func printsALoadableKeyLine() throws {
        let now = Date(timeIntervalSince1970: 1_764_058_500)  // 2025-11-25T08:15:00Z
        let line = try Self.keygen().line(now: now)
        #expect(line.hasPrefix("k20251125T081500 "))
        let ring = try SealingKeyRing.parse(keyFileContents: line)
        #expect(ring.primary.id == "k20251125T081500")
        #expect(ring.primary.keyFileLine == line)
    }

    @Test func keysAreRandomAndIDsSettable() throws {
        let first = try Self.keygen(["--id", "prod-2026"]).line(now: Date())
        let second = try Self.keygen(["--id", "prod-2026"]).line(now: Date())
        #expect(first.hasPrefix("prod-2026 ") && second.hasPrefix("prod-2026 "))
        #expect(first != second)
    }

    @Test func invalidIDIsAClearError() throws {
        let failure = #expect(throws: CLIFailure.self) { _ = try Self.keygen(["--id", "no spaces"]).line(now: Date()) }
        #expect(failure?.message.contains("invalid key id") == true)
    }

    /// authorize then request through a store sealed by a key file, then by the
    /// environment variable; the database holds ciphertext; an open key file is refused.
    @Test func authorizeAndRequestOverASealedStore() async throws {
        let provider = try await AuthorizeRequestFlowTests.provider()
        defer { Task { await provider.stop() } }
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-cli-sealed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = "sqlite://\(directory)/tokens.db"
        let keyLine = try Self.keygen(["--id", "k1"]).line(now: Date())
        let keyFile = directory + "/keys"
        try Data((keyLine + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
        #expect(chmod(keyFile, 0o600) == 0)

        let (captured, console) = AuthorizeRequestFlowTests.pinTypingConsole(
            provider, environment: AuthorizeRequestFlowTests.environment)
        let authorize = try #require(
            try TokenStoreCommand.parseAsRoot(
                ["authorize", "--store", store, "--sealing-keys", keyFile]
                    + AuthorizeRequestFlowTests.endpointFlags(provider)) as? AuthorizeCommand)
        try await authorize.execute(console: console)
        let keyMaterial = String(keyLine.split(separator: " ")[1])
        #expect(!captured.output.contains(keyMaterial))

        let plain = try await StoreDrivers.open(store)
        let raw = try #require(try await plain.accessToken(for: AccessTokenKey(provider: "local", userID: "4242")))
        try await plain.close()
        #expect(raw.secret.hasPrefix("tsv1:k1:"))

        var environment = AuthorizeRequestFlowTests.environment
        environment[SealingKeyRing.environmentVariable] = keyLine.replacingOccurrences(of: " ", with: ":")
        let request = CapturedConsole(environment: environment)
        let command = try #require(
            try TokenStoreCommand.parseAsRoot([
                "request", "--store", store, "--provider", "local", "--user", "4242",
                provider.protectedResourceURL.absoluteString,
            ]) as? RequestCommand)
        try await command.execute(console: request.console)
        #expect(request.output.hasPrefix("HTTP 200\n"))
        #expect(!request.output.contains(keyMaterial))

        // Without keys the stored ciphertext is no usable secret: the provider refuses.
        let withoutKeys = CapturedConsole(environment: AuthorizeRequestFlowTests.environment)
        var refused = false
        do {
            try await command.execute(console: withoutKeys.console)
            refused = !withoutKeys.output.hasPrefix("HTTP 200")
        } catch {
            refused = true
        }
        #expect(refused)

        // authorize without keys would store a plain secret beside sealed ones: refused
        // before anything is sent to the provider.
        let (plainCaptured, plainConsole) = AuthorizeRequestFlowTests.pinTypingConsole(
            provider, environment: AuthorizeRequestFlowTests.environment)
        let unsealed = await #expect(throws: CLIFailure.self) {
            let command = try #require(
                try TokenStoreCommand.parseAsRoot(["authorize", "--store", store] + AuthorizeRequestFlowTests.endpointFlags(provider))
                    as? AuthorizeCommand)
            try await command.execute(console: plainConsole)
        }
        #expect(unsealed?.message.contains("holds sealed secrets (key 'k1')") == true, "\(String(describing: unsealed))")
        #expect(unsealed?.message.contains("--sealing-keys") == true)
        #expect(!plainCaptured.output.contains("Open this URL"), "no request token was asked for")
        let after = try await StoreDrivers.open(store)
        #expect(try await after.listAccessTokens(after: nil, limit: 10).tokens.allSatisfy { $0.secret.hasPrefix("tsv1:k1:") })
        #expect(try await after.counts().requestTokens == 0)
        try await after.close()

        #expect(chmod(keyFile, 0o644) == 0)
        let insecure = await #expect(throws: CLIFailure.self) {
            let command = try #require(
                try TokenStoreCommand.parseAsRoot([
                    "request", "--store", store, "--sealing-keys", keyFile, "--provider", "local", "--user", "4242",
                    provider.protectedResourceURL.absoluteString,
                ]) as? RequestCommand)
            try await command.execute(console: CapturedConsole(environment: AuthorizeRequestFlowTests.environment).console)
        }
        #expect(insecure?.message.contains("permissions") == true)
        #expect(insecure?.message.contains(keyMaterial) == false)
    }
}
