import Foundation

/// Where a store's versioned schema stands: what is applied, what this build would apply.
///
/// Returned by ``SchemaManagedTokenStore/schemaStatus()`` and printed by
/// `tokenstore schema status`.
public struct SchemaStatus: Sendable, Hashable {
    /// A migration recorded in the store's `schema_migrations` table.
    public struct AppliedMigration: Sendable, Hashable {
        /// The migration's version number.
        public var version: Int
        /// The migration's name as recorded, e.g. `0001_create_tokens`.
        public var name: String
        /// When it was applied, to the millisecond (or second, as the database keeps it).
        public var appliedAt: Date

        /// Creates a record of an applied migration.
        public init(version: Int, name: String, appliedAt: Date) {
            self.version = version
            self.name = name
            self.appliedAt = appliedAt
        }
    }

    /// The migrations the store records, ascending by version.
    public var applied: [AppliedMigration]
    /// The migrations this build knows that the store lacks, ascending by version.
    public var pending: [SchemaMigration]
    /// The highest version the store records (0 when none).
    public var currentVersion: Int
    /// The highest version this build knows.
    public var knownVersion: Int

    /// Creates a status from the recorded migrations and the ones this build knows;
    /// ``pending`` is every known migration whose version is not recorded.
    ///
    /// - Parameters:
    ///   - applied: the recorded migrations, in any order.
    ///   - known: every migration this build carries.
    public init(applied: [AppliedMigration], known: [SchemaMigration]) {
        let recorded = Set(applied.map(\.version))
        self.applied = applied.sorted { $0.version < $1.version }
        self.pending = known.filter { !recorded.contains($0.version) }.sorted { $0.version < $1.version }
        self.currentVersion = applied.map(\.version).max() ?? 0
        self.knownVersion = known.map(\.version).max() ?? 0
    }

    /// Whether nothing is pending and the store is not newer than this build.
    public var isUpToDate: Bool { pending.isEmpty && !isNewerThanBuild }

    /// Whether a newer version of the library migrated the store past what this build knows.
    public var isNewerThanBuild: Bool { currentVersion > knownVersion }
}
