import ArgumentParser
import TokenStoreKit

/// `tokenstore schema upgrade [URL]`: applies a store's pending schema migrations.
struct SchemaUpgradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Apply a store's pending schema migrations.",
        discussion: """
            Applies every pending migration in one transaction, guarded against concurrent \
            upgrades and applications opening the store (SQLite BEGIN IMMEDIATE, a PostgreSQL \
            advisory lock). Running it again applies nothing. Exit codes: 0 migrations applied \
            or already up to date (also for stores without a versioned schema); 1 the store \
            cannot be opened or upgraded, or a newer swift-tokenstore migrated it; 64 usage error.
            """)

    @OptionGroup var target: SchemaStoreArguments

    init() {}

    func run() async throws {
        try await execute(console: .standard)
    }

    /// Upgrades the store and reports what was applied on `console`.
    ///
    /// - Throws: ``CLIFailure`` when the store cannot be opened or upgraded.
    func execute(console: CLIConsole) async throws {
        try await target.withUnmigratedStore(environment: console.environment) { store, name in
            guard let managed = store as? any SchemaManagedTokenStore else {
                let version = try await store.schemaVersion()
                console.print("\(name) has no versioned schema (schema version \(version)): nothing to upgrade.")
                return
            }
            let applied = try await managed.upgradeSchema()
            if applied.isEmpty {
                let version = try await store.schemaVersion()
                console.print("\(name) is already up to date (schema version \(version)).")
                return
            }
            console.print("Applied \(applied.count) migration\(applied.count == 1 ? "" : "s") to \(name):")
            for line in SchemaStatusCommand.table(header: ["VERSION", "NAME"], rows: applied.map { [String($0.version), $0.name] }) {
                console.print(line)
            }
            console.print("Schema version: \(applied.map(\.version).max() ?? 0)")
        }
    }
}
