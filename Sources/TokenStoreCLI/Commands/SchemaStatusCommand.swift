import ArgumentParser
import Foundation
import TokenStoreKit

/// `tokenstore schema status [URL]`: the applied and pending migrations of a store, read
/// without changing anything.
struct SchemaStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List a store's applied and pending schema migrations (changes nothing).",
        discussion: """
            Exit codes: 0 the status was printed (with --check: and the schema is up to date, \
            or the store has no versioned schema); 1 the store cannot be opened or read; \
            2 with --check: migrations are pending (run `tokenstore schema upgrade URL`); \
            3 with --check: a newer swift-tokenstore migrated the store past what this build \
            knows; 64 usage error.
            """)

    @OptionGroup var target: SchemaStoreArguments

    @Flag(
        name: .customLong("check"),
        help: "Exit 2 when migrations are pending and 3 when the store is newer than this build (for deploy scripts).")
    var check = false

    @Flag(name: .customLong("json"), help: "Print one JSON object instead of the table.")
    var json = false

    init() {}

    func run() async throws {
        try await execute(console: .standard)
    }

    /// Prints the status of the store on `console`.
    ///
    /// - Throws: ``CLIFailure`` when the store cannot be opened or read; `ExitCode(2)` or
    ///   `ExitCode(3)` with `--check` (see the command's exit codes).
    func execute(console: CLIConsole) async throws {
        let outcome = try await target.withUnmigratedStore(environment: console.environment) { store, name in
            guard let managed = store as? any SchemaManagedTokenStore else {
                let version = try await store.schemaVersion()
                if json {
                    console.print(Self.json(["store": name, "versioned": false, "currentVersion": version, "upToDate": true]))
                } else {
                    console.print("Store: \(name)")
                    console.print("This store has no versioned schema (schema version \(version)): there is nothing to migrate.")
                }
                return Int32(0)
            }
            let status = try await managed.schemaStatus()
            console.print(json ? Self.json(Self.object(status, store: name)) : Self.render(status, store: name))
            if status.isNewerThanBuild { return 3 }
            return status.pending.isEmpty ? 0 : 2
        }
        if check, outcome != 0 { throw ExitCode(outcome) }
    }

    /// The status as the table `status` prints.
    static func render(_ status: SchemaStatus, store: String) -> String {
        var lines = ["Store: \(store)", "Schema version: \(status.currentVersion) (this build knows up to \(status.knownVersion))"]
        if status.applied.isEmpty {
            lines.append("Applied migrations: none")
        } else {
            lines.append("Applied migrations:")
            lines += table(
                header: ["VERSION", "NAME", "APPLIED AT"],
                rows: status.applied.map { [String($0.version), $0.name, StatsCommand.Report.format($0.appliedAt)] })
        }
        if status.pending.isEmpty {
            lines.append("Pending migrations: none")
        } else {
            lines.append("Pending migrations:")
            lines += table(header: ["VERSION", "NAME"], rows: status.pending.map { [String($0.version), $0.name] })
        }
        if status.isNewerThanBuild {
            lines.append(
                "The store is at version \(status.currentVersion), newer than this build knows (\(status.knownVersion)): "
                    + "upgrade swift-tokenstore before using it.")
        } else if status.pending.isEmpty {
            lines.append("The schema is up to date.")
        } else {
            lines.append("Run `tokenstore schema upgrade URL` to apply \(status.pending.count == 1 ? "it" : "them").")
        }
        return lines.joined(separator: "\n")
    }

    /// The status as the `--json` object.
    static func object(_ status: SchemaStatus, store: String) -> [String: Any] {
        [
            "store": store, "versioned": true, "currentVersion": status.currentVersion,
            "knownVersion": status.knownVersion, "upToDate": status.isUpToDate,
            "newerThanBuild": status.isNewerThanBuild,
            "applied": status.applied.map {
                ["version": $0.version, "name": $0.name, "appliedAt": StatsCommand.Report.format($0.appliedAt)] as [String: Any]
            },
            "pending": status.pending.map { ["version": $0.version, "name": $0.name] as [String: Any] },
        ]
    }

    static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Left-aligned columns, two spaces apart, indented by two.
    static func table(header: [String], rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            return "  " + cells.joined(separator: "  ")
        }
    }
}
