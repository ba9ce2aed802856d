import Dispatch
import Foundation
import Logging
import TokenStoreKit

/// A `TokenStore` in a SQLite database: one file on one machine, shared by any number of
/// processes, or `:memory:`.
///
/// The database runs in WAL mode (readers never wait for the writer), with the schema from
/// `Migrations/sqlite`, applied on open unless ``Configuration/migrateSchemaOnOpen`` is
/// `false` (then see `SchemaManagedTokenStore`: ``schemaStatus()`` and ``upgradeSchema()``). A call runs its prepared statement directly on
/// the calling task's thread when a connection is free and no other process holds a lock
/// it needs; otherwise it moves to the connection's own thread, which waits up to
/// ``Configuration/busyTimeout``. No call parks a cooperative thread.
///
/// Connections: writes use the first (so this process's writers queue on one lock), reads
/// the others in parallel. The commit that takes the WAL past
/// ``Configuration/checkpointThresholdPages`` queues a checkpoint on the writer
/// connection's thread, never inside a caller's commit.
/// With ``Durability/normal`` (the default) a power loss can lose the last commits but
/// never corrupts the database; see ``Durability``.
///
/// A task cancelled while its call waits for another process's lock keeps waiting, at
/// most the busy timeout; the call is not interrupted halfway.
///
/// ```swift
/// let store = try await SQLiteTokenStore(path: "/var/lib/app/tokens.db")
/// try await store.saveAccessToken(token)
/// ```
public final class SQLiteTokenStore: TokenStore {
    /// `sqlite:///absolute/path.db` or `sqlite::memory:`.
    public let displayName: String
    let pool: SQLiteConnectionPool
    let clock: TokenClock
    let logger: Logger
    /// Closed while a store opened without migrating lacks migrations.
    let schemaGate: SchemaGate
    /// Writes go to the connection's thread when each commit waits for an fsync.
    let inlineWrites: Bool

    /// Batches and pages above this size run on the connection's thread: they are
    /// long CPU and I/O work that should not hold a cooperative thread.
    static let inlineRowLimit = 256

    /// Opens (creating when missing, mode 0600) the database at `path` and migrates it
    /// (unless ``Configuration/migrateSchemaOnOpen`` is `false`).
    ///
    /// - Parameters:
    ///   - path: a file path (relative paths resolve against the current directory) or
    ///     `:memory:` for a private in-memory database.
    ///   - configuration: clock, logger, busy timeout, connections, durability.
    /// - Throws: `TokenStoreError` with `TokenStoreError.Code.schemaTooNew` when a newer
    ///   version migrated the database, `TokenStoreError.Code.permissionDenied` or
    ///   `TokenStoreError.Code.unavailable` when the file cannot be created or opened,
    ///   `TokenStoreError.Code.timedOut` when another process holds the database locked.
    public init(path: String, configuration: Configuration = Configuration()) async throws {
        let resolved = Self.absolutePath(path)
        let displayName = resolved == ":memory:" ? "sqlite::memory:" : "sqlite://" + resolved
        let opened = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Opened, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try Self.openBlocking(path: resolved, displayName: displayName, configuration: configuration)
                })
            }
        }
        self.displayName = displayName
        self.pool = opened.pool
        self.clock = configuration.clock
        self.logger = configuration.logger
        self.schemaGate = SchemaGate(status: opened.unmigratedStatus)
        self.inlineWrites = configuration.durability == .normal
        configuration.logger.debug(
            "opened SQLite store",
            metadata: ["store": "\(displayName)", "schemaVersion": "\(opened.schemaVersion)", "connections": "\(opened.pool.slots.count)"])
    }

    /// `path` made absolute, so messages name the real file.
    static func absolutePath(_ path: String) -> String {
        guard path != ":memory:", !path.hasPrefix("/") else { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }

    var nowMilliseconds: Int64 { TokenTimestamp.milliseconds(clock.now()) }

    private func invalidLimit(_ limit: Int, operation: String) -> TokenStoreError {
        TokenStoreError(.invalidArgument, store: displayName, operation: operation, message: "page limit \(limit) is below 1")
    }

    // MARK: Request tokens

    public func saveRequestToken(_ token: RequestToken) async throws {
        try schemaGate.check(store: displayName, operation: "saveRequestToken")
        try await pool.run("saveRequestToken", access: .write, inline: inlineWrites, SaveRequestToken(token: token))
    }

    public func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        try schemaGate.check(store: displayName, operation: "takeRequestToken")
        let now = nowMilliseconds
        return try await pool.run(
            "takeRequestToken", access: .write, inline: inlineWrites, TakeRequestToken(oauthToken: oauthToken, nowMilliseconds: now))
    }

    public func purgeExpiredRequestTokens() async throws -> Int {
        try schemaGate.check(store: displayName, operation: "purgeExpiredRequestTokens")
        let now = nowMilliseconds
        // Unbounded work: always on the connection's thread.
        return try await pool.run("purgeExpiredRequestTokens", access: .write, inline: false) { connection in
            let statement = try connection.statement(.purgeRequestTokens)
            defer { connection.finish(statement) }
            connection.bind(statement, 1, now)
            while try connection.step(statement) {}
            return connection.changes
        }
    }

    public func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try schemaGate.check(store: displayName, operation: "listRequestTokens")
        guard limit >= 1 else { throw invalidLimit(limit, operation: "listRequestTokens") }
        let now = nowMilliseconds
        return try await pool.run("listRequestTokens", access: .read, inline: limit <= Self.inlineRowLimit) { connection in
            let statement = try connection.statement(cursor == nil ? .listRequestTokensFirst : .listRequestTokensAfter)
            defer { connection.finish(statement) }
            if let cursor { try connection.bind(statement, 1, cursor) }
            connection.bind(statement, 2, now)
            connection.bind(statement, 3, Int64(limit))
            var tokens: [RequestToken] = []
            while try connection.step(statement) {
                tokens.append(try connection.requestToken(statement))
            }
            return RequestTokenPage(tokens: tokens, nextCursor: tokens.count == limit ? tokens.last?.token : nil)
        }
    }

    // MARK: Access tokens

    @discardableResult
    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try schemaGate.check(store: displayName, operation: "saveAccessToken")
        return try await pool.run("saveAccessToken", access: .write, inline: inlineWrites, SaveAccessToken(token: token, policy: policy))
    }

    /// Saves `tokens` in one transaction: all or none are written.
    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        try schemaGate.check(store: displayName, operation: "saveAccessTokens")
        guard !tokens.isEmpty else { return 0 }
        let inline = inlineWrites && tokens.count <= Self.inlineRowLimit
        return try await pool.run("saveAccessTokens", access: .write, inline: inline) { connection in
            try connection.run(.begin)
            do {
                let statement = try connection.statement(policy == .overwrite ? .saveAccessTokenOverwrite : .saveAccessTokenIfNewer)
                var written = 0
                for token in tokens {
                    defer { connection.finish(statement) }
                    try connection.bindAccessToken(statement, token)
                    while try connection.step(statement) {}
                    written += connection.changes
                }
                try connection.run(.commit)
                return written
            } catch {
                _ = try? connection.run(.rollback)
                throw error
            }
        }
    }

    public func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        try schemaGate.check(store: displayName, operation: "accessToken")
        return try await pool.run("accessToken", access: .read, inline: true, GetAccessToken(key: key))
    }

    @discardableResult
    public func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        try schemaGate.check(store: displayName, operation: "deleteAccessToken")
        return try await pool.run("deleteAccessToken", access: .write, inline: inlineWrites) { connection in
            let statement = try connection.statement(.deleteAccessToken)
            defer { connection.finish(statement) }
            try connection.bind(statement, 1, key.provider)
            try connection.bind(statement, 2, key.userID)
            while try connection.step(statement) {}
            return connection.changes > 0
        }
    }

    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try schemaGate.check(store: displayName, operation: "listAccessTokens")
        guard limit >= 1 else { throw invalidLimit(limit, operation: "listAccessTokens") }
        return try await pool.run("listAccessTokens", access: .read, inline: limit <= Self.inlineRowLimit) { connection in
            let statement = try connection.statement(cursor == nil ? .listAccessTokensFirst : .listAccessTokensAfter)
            defer { connection.finish(statement) }
            if let cursor {
                try connection.bind(statement, 1, cursor.provider)
                try connection.bind(statement, 2, cursor.userID)
            }
            connection.bind(statement, 3, Int64(limit))
            var tokens: [AccessToken] = []
            while try connection.step(statement) {
                tokens.append(try connection.accessToken(statement))
            }
            return AccessTokenPage(tokens: tokens, nextCursor: tokens.count == limit ? tokens.last?.key : nil)
        }
    }

    // MARK: Housekeeping

    /// Counts with two index scans: on the connection's thread for large stores.
    public func counts() async throws -> TokenCounts {
        try schemaGate.check(store: displayName, operation: "counts")
        let now = nowMilliseconds
        return try await pool.run("counts", access: .read, inline: false) { connection in
            let statement = try connection.statement(.counts)
            defer { connection.finish(statement) }
            connection.bind(statement, 1, now)
            guard try connection.step(statement) else { return TokenCounts(requestTokens: 0, accessTokens: 0) }
            return TokenCounts(
                requestTokens: Int(sqlite3Int(statement, 0)), accessTokens: Int(sqlite3Int(statement, 1)))
        }
    }

    public func schemaVersion() async throws -> Int {
        if !schemaGate.allowsOperations { return try await schemaStatus().currentVersion }
        return try await pool.run("schemaVersion", access: .read, inline: true) { connection in
            let statement = try connection.statement(.schemaVersion)
            defer { connection.finish(statement) }
            guard try connection.step(statement) else { return 0 }
            return Int(sqlite3Int(statement, 0))
        }
    }

    /// Finalizes the statements and closes the connections, on their own threads (the
    /// last close checkpoints the WAL into the database). Later calls throw
    /// `TokenStoreError.Code.closed`; closing twice is harmless.
    public func close() async throws {
        await pool.close()
    }
}
