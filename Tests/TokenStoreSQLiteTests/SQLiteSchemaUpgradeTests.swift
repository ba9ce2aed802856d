import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLite
import TokenStoreSQLiteMigrations
import TokenStoreTesting

/// A database the previous release left at schema version 1, full of tokens, upgraded to
/// version 2 (token sets) in place: on open, and through `upgradeSchema()` (what
/// `tokenstore schema upgrade` runs). No token may change, to the byte.
@Suite("SQLite upgrade from schema version 1", .inProcessTimeLimit)
struct SQLiteSchemaUpgradeTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000.123)

    static let accessTokens: [AccessToken] = (0..<300).map(accessToken)

    static func accessToken(_ index: Int) -> AccessToken {
        let seconds = Double(index)
        let metadata: [String: String] = index % 4 == 0 ? ["plan": "pro", "x": String(index)] : [:]
        return AccessToken(
            provider: index % 3 == 0 ? "twitter" : "flickr", userID: "user-\(index)",
            token: "token-\(index)", secret: "secret-\(index)-'quoted'",
            screenName: index % 2 == 0 ? "Zoë \(index)" : nil, accessType: index % 5 == 0 ? "read" : nil,
            createdAt: start.addingTimeInterval(seconds), updatedAt: start.addingTimeInterval(seconds + 0.5),
            metadata: metadata)
    }

    static let requestTokens: [RequestToken] = (0..<50).map(requestToken)

    static func requestToken(_ index: Int) -> RequestToken {
        let metadata: [String: String] = index % 3 == 0 ? ["a": "b"] : [:]
        let context = RequestTokenContext(
            callbackURL: "https://app.example/callback", returnTo: index % 2 == 0 ? "/home" : nil,
            sessionBinding: "session-\(index)", metadata: metadata)
        return RequestToken(
            provider: "twitter", token: "request-\(index)", secret: "request-secret-\(index)",
            context: context, createdAt: start, expiresAt: start.addingTimeInterval(600))
    }

    /// The 0001 schema file, read from the repository as the previous release shipped it.
    static func version1SQL() throws -> String {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(
            contentsOf: root.appendingPathComponent("Migrations/sqlite/0001_create_tokens.sql"), encoding: .utf8)
    }

    static func literal(_ text: String?) -> String {
        guard let text else { return "NULL" }
        return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    static func milliseconds(_ date: Date) -> String { String(TokenTimestamp.milliseconds(date)) }

    /// Metadata as the previous release stored it: a JSON object with sorted keys, NULL
    /// when empty.
    static func metadata(_ metadata: [String: String]) -> String {
        guard !metadata.isEmpty else { return "NULL" }
        let pairs = metadata.keys.sorted().map { "\"\($0)\":\"\(metadata[$0] ?? "")\"" }
        return literal("{" + pairs.joined(separator: ",") + "}")
    }

    /// A database at schema version 1, as the previous release left it: 0001 applied and
    /// recorded in `schema_migrations`, WAL mode, the tokens written with its column lists.
    static func makeVersion1Database(_ path: String) throws {
        let raw = try RawSQLite(path: path)
        try raw.execute("PRAGMA journal_mode = WAL")
        try raw.execute("BEGIN IMMEDIATE")
        try raw.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
                + "version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)")
        try raw.execute(try version1SQL())
        try raw.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, '0001_create_tokens', \(milliseconds(start)))")
        for token in accessTokens {
            try raw.execute(
                "INSERT INTO access_tokens (provider, user_id, token, secret, screen_name, access_type, created_at, updated_at, metadata) "
                    + "VALUES (\(literal(token.provider)), \(literal(token.userID)), \(literal(token.token)), "
                    + "\(literal(token.secret)), \(literal(token.screenName)), \(literal(token.accessType)), "
                    + "\(milliseconds(token.createdAt)), \(milliseconds(token.updatedAt)), \(metadata(token.metadata)))")
        }
        for token in requestTokens {
            try raw.execute(
                "INSERT INTO request_tokens (token, provider, secret, callback_url, return_to, session_binding, metadata, "
                    + "created_at, expires_at) VALUES (\(literal(token.token)), \(literal(token.provider)), "
                    + "\(literal(token.secret)), \(literal(token.context.callbackURL)), \(literal(token.context.returnTo)), "
                    + "\(literal(token.context.sessionBinding)), \(metadata(token.context.metadata)), "
                    + "\(milliseconds(token.createdAt)), \(milliseconds(token.expiresAt)))")
        }
        try raw.execute("COMMIT")
    }

    /// Every stored row of both token tables, every column as text: compared before and
    /// after the upgrade, so not a byte of a token may change.
    static func tokenRows(_ path: String) throws -> [[String]] {
        let raw = try RawSQLite(path: path)
        return try raw.rows("SELECT * FROM access_tokens ORDER BY provider, user_id")
            + raw.rows("SELECT * FROM request_tokens ORDER BY token")
    }

    /// Reads every token back through the store and checks that token sets work beside them.
    static func expectTokensIntactAndTokenSetsWorking(_ store: SQLiteTokenStore, clock: ManualTokenClock) async throws {
        #expect(try await store.schemaVersion() == 2)
        for token in accessTokens {
            #expect(try await store.accessToken(for: token.key) == token)
        }
        let listed = try await store.listAccessTokens(after: nil, limit: 1000).tokens
        #expect(listed == accessTokens.sorted { $0.key < $1.key })
        let requests = try await store.listRequestTokens(after: nil, limit: 1000).tokens
        #expect(requests == requestTokens.sorted { $0.token < $1.token })
        #expect(try await store.counts() == TokenCounts(requestTokens: requestTokens.count, accessTokens: accessTokens.count, tokenSets: 0))

        // Token sets under a key that already has an access token: independent records.
        let key = accessTokens[0].key
        let tokenSet = OAuth2TokenSet(
            provider: key.provider, userID: key.userID, accessToken: "oauth2-access", expiresAt: clock.now.addingTimeInterval(3600),
            refreshToken: "oauth2-refresh", scope: "read", createdAt: clock.now)
        #expect(try await store.saveTokenSet(tokenSet))
        #expect(try await store.tokenSet(for: key)?.version == 1)
        #expect(try await store.acquireRefreshLease(for: key, owner: "worker", duration: .seconds(30)))
        var refreshed = tokenSet
        refreshed.accessToken = "oauth2-access-2"
        #expect(try await store.replaceTokenSet(refreshed, ifVersion: 1)?.version == 2)
        #expect(try await store.counts().tokenSets == 1)
        #expect(try await store.accessToken(for: key) == accessTokens[0])
        #expect(try await store.takeRequestToken(requestTokens[0].token) == requestTokens[0])
    }

    @Test("opening a version 1 database full of tokens upgrades it to 2 and keeps every token")
    func upgradeOnOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        try Self.makeVersion1Database(path)
        let before = try Self.tokenRows(path)
        #expect(before.count == Self.accessTokens.count + Self.requestTokens.count)

        let clock = ManualTokenClock(Self.start)
        let store = try await SQLiteTokenStore(configuration: .init(path: path, clock: clock.clock))
        #expect(try Self.tokenRows(path) == before, "opening changed a stored token")
        let recorded = try RawSQLite(path: path).rows("SELECT version, name FROM schema_migrations ORDER BY version")
        #expect(recorded == [["1", "0001_create_tokens"], ["2", "0002_create_token_sets"]])
        try await Self.expectTokensIntactAndTokenSetsWorking(store, clock: clock)
        try await store.close()

        // Opened again: nothing more to apply, the token set is still there.
        let reopened = try await SQLiteTokenStore(configuration: .init(path: path, clock: clock.clock))
        #expect(try await reopened.schemaVersion() == 2)
        #expect(try await reopened.tokenSet(for: Self.accessTokens[0].key)?.accessToken == "oauth2-access-2")
        try await reopened.close()
    }

    @Test("a version 1 database opened without migrating shows 0002 pending; upgradeSchema applies it and keeps every token")
    func upgradeThroughSchemaUpgrade() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        try Self.makeVersion1Database(path)
        let before = try Self.tokenRows(path)

        let clock = ManualTokenClock(Self.start)
        let store = try await SQLiteTokenStore(configuration: .init(path: path, clock: clock.clock, migrateSchemaOnOpen: false))
        let status = try await store.schemaStatus()
        #expect(status.currentVersion == 1)
        #expect(status.pending.map(\.name) == ["0002_create_token_sets"])
        #expect(try await store.schemaVersion() == 1)
        let refused = await #expect(throws: TokenStoreError.self) { _ = try await store.tokenSet(for: Self.accessTokens[0].key) }
        #expect(refused?.message.contains("tokenstore schema upgrade") == true)

        let applied = try await store.upgradeSchema()
        #expect(applied.map(\.version) == [2])
        #expect(try Self.tokenRows(path) == before, "the upgrade changed a stored token")
        #expect(try await store.schemaStatus().isUpToDate)
        try await Self.expectTokensIntactAndTokenSetsWorking(store, clock: clock)
        #expect(try await store.upgradeSchema().isEmpty)
        try await store.close()
    }
}
