import Foundation
import Logging
import TokenStoreKit
import TokenStorePostgresMigrations

extension PostgresTokenStore {
    /// Applies the migrations the schema lacks, in one transaction, under an advisory lock
    /// so that many processes opening a fresh database together migrate it once.
    ///
    /// - Returns: the migrations applied.
    @discardableResult
    func migrate(operation: String) async throws -> [SchemaMigration] {
        let schema = PostgresStatements.quote(configuration.schema)
        let known = PostgresMigrations.all
        let newest = known.map(\.version).max() ?? 0
        let lockKey = "hashtext(\(Self.literal("swift-tokenstore:" + configuration.schema)))"
        let logger = configuration.logger
        let name = displayName
        let outcome: MigrationOutcome = try await withConnection(operation, gated: false) { connection, _ throws(LibPQFailure) in
            let deadline = ContinuousClock.now + .seconds(120)
            _ = try await connection.execute(sql: "BEGIN", deadline: deadline)
            do throws(LibPQFailure) {
                _ = try await connection.execute(sql: "SELECT pg_advisory_xact_lock(\(lockKey))", deadline: deadline)
                _ = try await connection.execute(
                    sql: """
                        CREATE SCHEMA IF NOT EXISTS \(schema);
                        CREATE TABLE IF NOT EXISTS \(schema).schema_migrations (
                            version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                        """, deadline: deadline)
                let rows = try await connection.execute(
                    sql: "SELECT coalesce(max(version), 0) FROM \(schema).schema_migrations", deadline: deadline)
                let current = rows.first?.first.flatMap { $0 }.flatMap { Int($0) } ?? 0
                if current > newest {
                    _ = try await connection.execute(sql: "ROLLBACK", deadline: deadline)
                    return .tooNew(current)
                }
                var applied: [SchemaMigration] = []
                for migration in known.sorted(by: { $0.version < $1.version }) where migration.version > current {
                    _ = try await connection.execute(sql: "SET LOCAL search_path TO \(schema)", deadline: deadline)
                    _ = try await connection.execute(sql: migration.sql, deadline: deadline)
                    _ = try await connection.execute(
                        sql: "INSERT INTO \(schema).schema_migrations (version, name) VALUES (\(migration.version), \(Self.literal(migration.name)))",
                        deadline: deadline)
                    applied.append(migration)
                }
                _ = try await connection.execute(sql: "COMMIT", deadline: deadline)
                return .applied(applied)
            } catch let failure {
                if !connection.isBroken { _ = try? await connection.execute(sql: "ROLLBACK", deadline: deadline) }
                throw failure
            }
        }
        switch outcome {
        case .tooNew(let version):
            throw TokenStoreError(
                .schemaTooNew, store: displayName, operation: operation,
                message: "the database schema is at version \(version) but this build knows up to \(newest); upgrade swift-tokenstore")
        case .applied(let migrations):
            if !migrations.isEmpty {
                logger.info(
                    "applied schema migrations",
                    metadata: ["store": "\(name)", "migrations": "\(migrations.map(\.name).joined(separator: ", "))"])
            }
            return migrations
        }
    }

    private enum MigrationOutcome: Sendable {
        case tooNew(Int)
        case applied([SchemaMigration])
    }

    /// `text` as a SQL string literal.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
