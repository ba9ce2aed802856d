import ArgumentParser
import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

@Suite(.serverTimeLimit) struct SchemaCommandTests {
    private func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (output: String, exit: Int32) {
        let captured = CapturedConsole(environment: environment)
        let command = try TokenStoreCommand.parseAsRoot(arguments)
        do {
            switch command {
            case let status as SchemaStatusCommand:
                try await status.execute(console: captured.console)
            case let upgrade as SchemaUpgradeCommand:
                try await upgrade.execute(console: captured.console)
            default:
                Issue.record("\(arguments) parsed as \(type(of: command))")
            }
        } catch let exit as ExitCode {
            return (captured.output, exit.rawValue)
        }
        return (captured.output, 0)
    }

    /// The whole operator story on a new SQLite file: pending, upgrade, applied, idempotent.
    @Test func statusUpgradeStatusOnSQLite() async throws {
        let directory = try StoreLocation.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let url = "sqlite://" + directory + "/tokens.db"

        let pending = try await run(["schema", "status", url, "--check"])
        #expect(pending.exit == 2)
        #expect(pending.output.contains("Schema version: 0"))
        #expect(pending.output.contains("Applied migrations: none"))
        #expect(pending.output.contains("Pending migrations:"))
        #expect(pending.output.contains("0001_create_tokens"))
        #expect(pending.output.contains("tokenstore schema upgrade"))
        let pendingJSON = try await run(["schema", "status", url, "--json", "--check"])
        #expect(pendingJSON.exit == 2)
        let pendingObject = try #require(
            try JSONSerialization.jsonObject(with: Data(pendingJSON.output.utf8)) as? [String: Any])
        #expect((pendingObject["pending"] as? [[String: Any]])?.map { $0["version"] as? Int } == [1, 2])
        #expect(pendingObject["upToDate"] as? Bool == false)
        // Without --check the same status exits 0.
        #expect(try await run(["schema", "status", url]).exit == 0)

        let upgraded = try await run(["schema", "upgrade", "--store", url])
        #expect(upgraded.exit == 0)
        #expect(upgraded.output.contains("Applied 2 migrations to"))
        #expect(upgraded.output.contains("0001_create_tokens"))
        #expect(upgraded.output.contains("0002_create_token_sets"))

        let current = try await run(["schema", "status", "--store", url, "--check"])
        #expect(current.exit == 0)
        #expect(current.output.contains("Schema version: 2"))
        #expect(current.output.contains("Pending migrations: none"))
        let appliedLine = try #require(current.output.split(separator: "\n").first { $0.contains("0001_create_tokens") })
        #expect(appliedLine.contains(String(Calendar(identifier: .gregorian).component(.year, from: Date()))))
        #expect(current.output.contains("up to date"))

        let json = try await run(["schema", "status", url, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["currentVersion"] as? Int == 2)
        #expect(object["upToDate"] as? Bool == true)
        #expect(object["versioned"] as? Bool == true)
        #expect((object["applied"] as? [[String: Any]])?.first?["name"] as? String == "0001_create_tokens")
        #expect((object["pending"] as? [Any])?.isEmpty == true)

        let again = try await run(["schema", "upgrade", url])
        #expect(again.output.contains("already up to date"))

        // The store opens and works for the other commands.
        let store = try await StoreDrivers.open(url)
        #expect(try await store.schemaVersion() == 2)
        try await store.close()
    }

    @Test func storesWithoutVersionedSchemaSaySoPlainly() async throws {
        let status = try await run(["schema", "status", "memory:schema-test", "--check"])
        #expect(status.exit == 0)
        #expect(status.output.contains("no versioned schema"))
        let upgrade = try await run(["schema", "upgrade", "memory:schema-test"])
        #expect(upgrade.output.contains("no versioned schema"))

        let directory = try StoreLocation.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = try await run(["schema", "status", "file://" + directory + "/store"])
        #expect(file.output.contains("no versioned schema"))
    }

    @Test func urlGivenTwiceDifferentlyIsAUsageError() throws {
        #expect(throws: (any Error).self) {
            _ = try TokenStoreCommand.parseAsRoot(["schema", "status", "memory:a", "--store", "memory:b"])
        }
    }

    @Test func aBadURLIsAClearFailure() async throws {
        let failure = await #expect(throws: CLIFailure.self) {
            _ = try await run(["schema", "status", "nosuchscheme://x"])
        }
        #expect(failure?.message.contains("nosuchscheme") == true)
    }

    /// The same on PostgreSQL, in a schema of its own.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_URL"] != nil
        || ProcessInfo.processInfo.environment["CI"] == "true"))
    func statusUpgradeOnPostgres() async throws {
        let base = try #require(
            ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_URL"], "CI runs this with a server (Scripts/test-servers)")
        let schema = "cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        let url = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)&" + BenchServers.patientPostgres
        let pending = try await run(["schema", "status", url, "--check"])
        #expect(pending.exit == 2)
        #expect(pending.output.contains("0001_create_tokens"))
        #expect(!pending.output.contains(try #require(URLComponents(string: base)?.password)))
        let upgraded = try await run(["schema", "upgrade", url])
        #expect(upgraded.output.contains("Applied 1 migration"))
        let current = try await run(["schema", "status", url, "--check"])
        #expect(current.exit == 0)
        #expect(current.output.contains("Pending migrations: none"))
    }
}
