import ArgumentParser
import Foundation
import Testing
import TokenStoreKit
import TokenStoreSealing

@testable import TokenStoreCLI

/// `migrate` never creates or changes its source, refuses a store onto itself, and leaves
/// no destination behind when it stops before writing; its summary does not invent
/// expired request tokens.
@Suite(.timeLimit(.minutes(5))) struct MigrateSourceDestinationTests {
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// A plain SQLite store with `count` access tokens.
    static func sqliteSource(in directory: String, count: Int = 3) async throws -> String {
        let url = "sqlite://\(directory)/source.db"
        let store = try await StoreDrivers.open(url)
        try await store.saveAccessTokens(MigrateFixture.accessTokens(count), policy: .overwrite)
        try await store.close()
        return url
    }

    @Test func aSourceThatDoesNotExistIsAnErrorAndIsNotCreated() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-nosource")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["XDG_STATE_HOME": directory + "/state"]
        let to = "sqlite://\(directory)/dest.db"
        try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: false)

        let sources = [
            ("sqlite://\(directory)/typo.db", "does not exist"),
            ("file://\(directory)/typo-dir", "does not exist"),
            ("file://\(directory)/empty", "not a token store"),
        ]
        for (from, reason) in sources {
            let (console, error) = try await MigrateCommandStoresTests.migrate(["--from", from, "--to", to], environment: environment)
            let failure = try #require(error as? CLIFailure, "\(from): \(console.output)")
            #expect(failure.message.contains("source (--from)") && failure.message.contains(reason))
            #expect(!console.output.contains("Copied"))
        }
        #expect(!Self.exists(directory + "/typo.db") && !Self.exists(directory + "/typo-dir"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/empty").isEmpty)
        #expect(!Self.exists(directory + "/dest.db"))

        // A SQLite file without the token tables (another program's database) is not migrated either.
        let foreign = try await StoreDrivers.open(
            "sqlite://\(directory)/foreign.db", options: TokenStoreOptions(migrateSchemaOnOpen: false))
        try await foreign.close()
        let (_, foreignError) = try await MigrateCommandStoresTests.migrate(
            ["--from", "sqlite://\(directory)/foreign.db", "--to", to], environment: environment)
        #expect((foreignError as? CLIFailure)?.message.contains("holds no token store") == true)
        #expect(!Self.exists(directory + "/dest.db"))

        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found")
        let (status, output, stderr) = try await DemoCommandTests.run(
            binary, ["migrate", "--from", "sqlite://\(directory)/typo.db", "--to", to], environment: environment)
        #expect(status == MigrateExitCode.failed && !output.contains("Copied 0"))
        #expect(stderr.contains("does not exist"))
        #expect(!Self.exists(directory + "/typo.db") && !Self.exists(directory + "/dest.db"))
    }

    @Test func theSameStoreSpelledTwoWaysIsAUsageError() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-same")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let from = try await Self.sqliteSource(in: directory)
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: directory)
        try FileManager.default.linkItem(atPath: directory + "/source.db", toPath: directory + "/hard.db")
        let relative = String(repeating: "../", count: FileManager.default.currentDirectoryPath.split(separator: "/").count)
            + directory.dropFirst()
        let same: [(String, String)] = [
            (from, from),
            (from, "SQLite://localhost\(directory)/source.db?busy_timeout_ms=10"),
            (from, "sqlite:\(directory)//./source.db"),
            (from, "sqlite:\(relative)/source.db"),
            (from, "sqlite://\(directory)/link/source.db"),
            (from, "sqlite://\(directory)/hard.db"),
            (from, "sqlite://\(directory)/sub/../source%2Edb"),
            ("file://\(directory)/tokens", "file://localhost\(directory)/tokens/"),
            ("memory:shared", "memory:shared"),
            ("postgres://app@DB.internal/tokens", "postgresql://app@db.internal:5432/tokens?schema=tokenstore&pool_max=4"),
            ("postgres://app:pw@h1:5432,H2:5433/tokens", "postgresql://app@h2:5433,h1/tokens?target_session_attrs=read-write"),
            ("postgres://app@h1,h2/tokens", "postgres://app@h2:5432,h1:5432/tokens"),
            ("redis://localhost:6379/0?prefix=a", "redis://LOCALHOST?prefix=a&pool_max=2"),
            ("redis+cluster://h1:7000,h2:7001/?prefix=a", "redis+cluster://H2:7001,h1:7000?prefix=a&pool_max=2"),
        ]
        for (a, b) in same {
            #expect(throws: (any Error).self, "\(a) vs \(b)") {
                _ = try TokenStoreCommand.parseAsRoot(["migrate", "--from", a, "--to", b])
            }
        }
        let different: [(String, String)] = [
            (from, "sqlite://\(directory)/other.db"),
            ("memory:", "memory:"),
            ("postgres://app@db/tokens", "postgres://app@db/tokens?schema=other"),
            ("postgres://app@h1,h2/tokens", "postgres://app@h1,h3/tokens"),
            ("redis://localhost/0?prefix=a", "redis://localhost/1?prefix=a"),
            ("redis+cluster://h1:7000/?prefix=a", "redis+cluster://h1:7000/?prefix=b"),
        ]
        for (a, b) in different {
            #expect(throws: Never.self, "\(a) vs \(b)") {
                _ = try TokenStoreCommand.parseAsRoot(["migrate", "--from", a, "--to", b])
            }
        }

        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found")
        let (status, _, error) = try await DemoCommandTests.run(
            binary, ["migrate", "--from", from, "--to", "sqlite://localhost\(directory)/source.db"],
            environment: ["XDG_STATE_HOME": directory + "/state"])
        #expect(status == MigrateExitCode.usage)
        #expect(error.contains("the same store"))
        #expect(try await MigrateFixture.counts(from) == TokenCounts(requestTokens: 0, accessTokens: 3))
    }

    @Test func resumeWithoutACheckpointAndDryRunLeaveNoDestination() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-nodest")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let from = try await Self.sqliteSource(in: directory)
        let environment = ["XDG_STATE_HOME": directory + "/state"]
        for to in ["sqlite://\(directory)/dest.db", "file://\(directory)/dest"] {
            let (_, resumeError) = try await MigrateCommandStoresTests.migrate(
                ["--from", from, "--to", to, "--resume"], environment: environment)
            #expect((resumeError as? CLIFailure)?.message.contains("no checkpoint") == true)

            let (dry, dryError) = try await MigrateCommandStoresTests.migrate(
                ["--from", from, "--to", to, "--dry-run"], environment: environment)
            #expect(dryError == nil)
            #expect(dry.output.contains("Would copy 3 access token(s)"))
            #expect(!Self.exists(directory + "/dest.db") && !Self.exists(directory + "/dest"), "\(to)")
        }

        // An empty source still leaves an (empty) destination after a real run.
        let emptyFrom = "file://\(directory)/empty-source"
        try await (try await StoreDrivers.open(emptyFrom)).close()
        let (copied, error) = try await MigrateCommandStoresTests.migrate(
            ["--from", emptyFrom, "--to", "sqlite://\(directory)/dest.db"], environment: environment)
        #expect(error == nil && copied.output.contains("Copied 0 access token(s)"))
        #expect(Self.exists(directory + "/dest.db"))
    }

    @Test func sealingKeyErrorsLeaveNoDestination() async throws {
        let setup = try await MigrateCommandSealingTests.setup()
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        let destinations = ["sqlite://\(setup.directory)/fresh.db", "file://\(setup.directory)/fresh"]
        var missing = setup.environment
        missing[SealingKeyRing.environmentVariable] = nil
        var wrong = setup.environment
        wrong[SealingKeyRing.environmentVariable] = try MigrateCommandSealingTests.keyLine("k1")
        var unknown = setup.environment
        unknown[SealingKeyRing.environmentVariable] = try MigrateCommandSealingTests.keyLine("k2")
        for to in destinations {
            for (name, environment) in [("missing", missing), ("wrong", wrong), ("unknown", unknown)] {
                let (_, error) = try await MigrateCommandStoresTests.migrate(
                    ["--from", setup.from, "--to", to, "--batch-size", "10"], environment: environment)
                #expect((error as? CLIFailure)?.message.contains("sealing failed") == true, "\(name) key, \(to)")
                #expect(!Self.exists(setup.directory + "/fresh.db") && !Self.exists(setup.directory + "/fresh"), "\(name) key")
            }
            // --seal without keys fails before anything is opened.
            let (_, sealError) = try await MigrateCommandStoresTests.migrate(
                ["--from", setup.from, "--to", to, "--seal"], environment: missing)
            #expect((sealError as? CLIFailure)?.message.contains("needs sealing keys") == true)
        }
        #expect(!Self.exists(setup.directory + "/fresh.db") && !Self.exists(setup.directory + "/fresh"))
    }

    @Test func theSummaryDoesNotClaimZeroExpiredRequestTokens() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-expired")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let from = "sqlite://\(directory)/source.db"
        let store = try await StoreDrivers.open(from)
        let past = Date().addingTimeInterval(-3600)
        try await store.saveRequestTokens(MigrateFixture.requestTokens(2))
        try await store.saveRequestTokens(
            (0..<3).map { RequestToken(provider: "p", token: "expired-\($0)", secret: "s", createdAt: past, expiresAt: past) })
        try await store.close()
        let environment = ["XDG_STATE_HOME": directory + "/state"]
        for extra in [["--dry-run"], []] {
            let (console, error) = try await MigrateCommandStoresTests.migrate(
                ["--from", from, "--to", "sqlite://\(directory)/dest.db"] + extra, environment: environment)
            #expect(error == nil)
            #expect(console.output.contains("2 request token(s)"))
            #expect(!console.output.contains("0 expired"), "\(console.output)")
        }
        let help = TokenStoreCommand.helpMessage(for: MigrateCommand.self)
        #expect(help.contains("3 --verify found a difference"))
    }

    /// PostgreSQL and Redis sources are never given a schema or a schema key; destinations
    /// that a failed run never reached are not created either.
    @Test(.enabled(if: MigrateFixture.serversAvailable)) func serverSourcesAreNeverCreated() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-servers")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["XDG_STATE_HOME": directory + "/state"]
        let local = try await Self.sqliteSource(in: directory)
        for kind in MigrateFixture.Kind.servers {
            let absent = try MigrateFixture.url(kind, in: directory, name: "absent")
            let (_, error) = try await MigrateCommandStoresTests.migrate(
                ["--from", absent, "--to", "sqlite://\(directory)/never.db"], environment: environment)
            #expect((error as? CLIFailure)?.message.contains("source (--from)") == true, "\(kind)")
            #expect(!Self.exists(directory + "/never.db"))
            try await Self.expectNoStore(absent)

            let destination = try MigrateFixture.url(kind, in: directory, name: "dest")
            _ = try await MigrateCommandStoresTests.migrate(["--from", local, "--to", destination, "--dry-run"], environment: environment)
            _ = try await MigrateCommandStoresTests.migrate(["--from", local, "--to", destination, "--resume"], environment: environment)
            try await Self.expectNoStore(destination)
        }
    }

    /// Opening `url` without creating finds nothing: no schema (PostgreSQL), no schema key (Redis).
    static func expectNoStore(_ url: String) async throws {
        let options = TokenStoreOptions(migrateSchemaOnOpen: false, createIfMissing: false)
        do {
            let store = try await StoreDrivers.open(url, options: options)
            defer { Task { try? await store.close() } }
            let status = try await #require(store as? any SchemaManagedTokenStore).schemaStatus()
            #expect(status.currentVersion == 0, "\(url) has a schema")
        } catch let error as TokenStoreError {
            #expect(error.code == .unavailable, "\(error)")
        }
    }
}
