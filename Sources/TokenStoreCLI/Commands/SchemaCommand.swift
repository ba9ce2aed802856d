import ArgumentParser

/// `tokenstore schema status|upgrade [URL]`: shows and applies a store's versioned schema
/// migrations (SQLite, PostgreSQL). Stores without one (memory, file, Redis) say so.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Show or apply a store's schema migrations.",
        discussion: """
            SQLite and PostgreSQL stores carry a versioned schema (Migrations/<dialect>/NNNN_name.sql), \
            recorded in a schema_migrations table. Stores migrate themselves when opened by an \
            application; these commands let an operator see and apply migrations explicitly, e.g. \
            before a deploy. Memory, file and Redis stores have no versioned schema.
            """,
        subcommands: [SchemaStatusCommand.self, SchemaUpgradeCommand.self])

    init() {}
}
