/// One versioned schema change of a SQL driver, from `Migrations/<dialect>/NNNN_name.sql`.
///
/// Drivers apply the migrations a database lacks, in ascending ``version`` order, each in
/// one transaction, and record them in a `schema_migrations` table.
public struct SchemaMigration: Sendable, Hashable {
    /// The number at the start of the file name.
    public let version: Int
    /// The file name without its extension, e.g. `0001_create_tokens`.
    public let name: String
    /// The SQL text.
    public let sql: String

    /// Creates a migration from the embedded bytes of its file.
    public init(version: Int, name: String, utf8 bytes: [UInt8]) {
        self.version = version
        self.name = name
        self.sql = String(decoding: bytes, as: UTF8.self)
    }
}
