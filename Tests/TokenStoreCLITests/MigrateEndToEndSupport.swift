import Foundation
import Glibc
import Testing
import TokenStoreMigration
import TokenStoreSealing
import TokenStoreTesting
import TokenStoreKit

@testable import TokenStoreCLI

/// Stores, fixtures and a binary runner shared by the migrate end-to-end tests.
enum MigrateFixture {
    static let environment = ProcessInfo.processInfo.environment
    static let postgresURL = environment["TOKENSTORE_TEST_POSTGRES_URL"]
    static let redisURL = environment["TOKENSTORE_TEST_REDIS_URL"]
    static let redisClusterURL = environment["TOKENSTORE_TEST_REDIS_CLUSTER_URL"]
    static let isCI = environment["CI"] == "true"

    /// Server pairs run when both servers are configured, and always under CI=true (where a
    /// missing URL then fails the `#require` instead of skipping).
    static var serversAvailable: Bool {
        let available = postgresURL != nil && redisURL != nil
        if !available && !isCI {
            print(
                "MigrateEndToEnd: TOKENSTORE_TEST_POSTGRES_URL / TOKENSTORE_TEST_REDIS_URL not set; the PostgreSQL and "
                    + "Redis migrations are skipped (run under Scripts/test-servers; CI=true makes this a failure)")
        }
        return available || isCI
    }

    /// The kinds of store a migration is tested between.
    enum Kind: String, CaseIterable, Sendable, CustomStringConvertible {
        case memory, file, sqlite, postgres, redis, redisCluster
        var description: String { rawValue }
        static let local: [Kind] = [.file, .sqlite]
        static let servers: [Kind] = [.postgres, .redis, .redisCluster]
    }

    /// A fresh, empty store of `kind`: its own directory, PostgreSQL schema or Redis prefix.
    static func url(_ kind: Kind, in directory: String, name: String) throws -> String {
        let unique = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        switch kind {
        case .memory: return "memory:migrate-\(unique)"
        case .file: return "file://\(directory)/\(name)"
        case .sqlite: return "sqlite://\(directory)/\(name).db"
        case .postgres:
            let base = try #require(postgresURL, "TOKENSTORE_TEST_POSTGRES_URL must be set (Scripts/test-servers); CI never skips")
            return base + (base.contains("?") ? "&" : "?") + "schema=m_\(unique)&" + BenchServers.patientPostgres
        case .redis:
            let base = try #require(redisURL, "TOKENSTORE_TEST_REDIS_URL must be set (Scripts/test-servers); CI never skips")
            return base + (base.contains("?") ? "&" : "?") + "prefix=mig-\(unique)"
        case .redisCluster:
            let base = try #require(
                redisClusterURL, "TOKENSTORE_TEST_REDIS_CLUSTER_URL must be set (Scripts/test-servers); CI never skips")
            return base + (base.contains("?") ? "&" : "?") + "prefix=mig-\(unique)"
        }
    }

    static let base = Date(timeIntervalSince1970: 1_700_000_000)

    /// Access tokens with every field set and keys whose UTF-8 order differs from naive
    /// ordering, so the cross-driver merge walk is exercised.
    static func accessTokens(_ count: Int, secret: String = "migrate-secret") -> [AccessToken] {
        let odd = ["Zeta", "zeta", "Ärger", "日本", "a b", "A"]
        return (0..<count).map { index in
            let userID = index < odd.count ? odd[index] : String(format: "u%05d", index)
            return AccessToken(
                provider: index % 4 == 0 ? "twitter" : "flickr", userID: userID, token: "token-\(index)",
                secret: "\(secret)-\(index)", screenName: index % 3 == 0 ? nil : "name \(index)",
                accessType: index % 2 == 0 ? "read" : nil, createdAt: base.addingTimeInterval(Double(index)),
                updatedAt: base.addingTimeInterval(Double(index) + 0.123), metadata: index % 5 == 0 ? [:] : ["k": "v\(index)"])
        }
    }

    static func requestTokens(_ count: Int, secret: String = "migrate-request-secret") -> [RequestToken] {
        let now = Date()
        return (0..<count).map { index in
            RequestToken(
                provider: "twitter", token: String(format: "rt-%04d", index), secret: "\(secret)-\(index)",
                context: RequestTokenContext(
                    callbackURL: "https://app.example/cb", returnTo: index % 2 == 0 ? "/home" : nil,
                    sessionBinding: "binding-\(index)", metadata: ["n": "\(index)"]),
                createdAt: now, expiresAt: now.addingTimeInterval(Double(1800 + index)))
        }
    }

    /// Opens `url` and saves `access` access tokens and `request` request tokens.
    static func fill(_ url: String, access: Int, request: Int) async throws {
        let store = try await StoreDrivers.open(url)
        do {
            var offset = 0
            let tokens = accessTokens(access)
            while offset < tokens.count {
                let end = min(offset + 1000, tokens.count)
                try await store.saveAccessTokens(Array(tokens[offset..<end]), policy: .overwrite)
                offset = end
            }
            try await store.saveRequestTokens(requestTokens(request))
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    static func counts(_ url: String) async throws -> TokenCounts {
        let store = try await StoreDrivers.open(url)
        let counts = try await store.counts()
        try await store.close()
        return counts
    }

    /// What a run of the binary left behind.
    struct Outcome: Sendable {
        var status: Int32
        var signalled: Bool
        var output: String
        var error: String
    }

    /// Runs the `tokenstore` binary; `during` gets its process id while it runs. Output goes
    /// to files and the exit is awaited through the termination handler, so no cooperative
    /// thread blocks.
    static func runBinary(
        _ arguments: [String], environment: [String: String], directory: String,
        during: @Sendable (Int32) async throws -> Void = { _ in }
    ) async throws -> Outcome {
        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found beside the tests")
        let run = UUID().uuidString
        let outPath = "\(directory)/out-\(run)"
        let errPath = "\(directory)/err-\(run)"
        let child = try SpawnedProcess.spawn(
            binary.path, arguments, environment: environment, standardOutput: outPath, standardError: errPath)
        let ended: Task<SpawnedProcess.Outcome, Never> = Task { await child.wait() }
        do {
            try await during(child.pid)
        } catch {
            child.send(SIGKILL)
            _ = await ended.value
            throw error
        }
        let outcome = await ended.value
        return Outcome(
            status: outcome.status, signalled: outcome.signal != nil,
            output: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            error: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// The binary's environment: this process's plus a private state directory.
    static func binaryEnvironment(stateDirectory: String, extra: [String: String] = [:]) -> [String: String] {
        var environment = Self.environment
        environment["XDG_STATE_HOME"] = stateDirectory
        environment.removeValue(forKey: SealingKeyRing.environmentVariable)
        for (name, value) in extra { environment[name] = value }
        return environment
    }

    /// Waits until the checkpoint at `path` records at least `tokens` tokens; fails after
    /// `seconds` or when `alive` says the process is gone.
    static func waitForCheckpoint(_ path: String, atLeast tokens: Int, pid: Int32, seconds: Double = 120) async throws
        -> MigrationCheckpoint
    {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let checkpoint = try? MigrationCheckpointFile(path: path).load(), checkpoint.counts.read >= tokens {
                return checkpoint
            }
            guard kill(pid, 0) == 0 else { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the checkpoint at \(path) never reached \(tokens) tokens while the migration ran")
        throw CancellationError()
    }

    /// A line of `text` starting with `prefix`.
    static func line(_ text: String, _ prefix: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init)
    }
}
