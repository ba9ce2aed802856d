import Foundation
import Testing
import TokenStoreKit
import TokenStorePostgresMigrations

@testable import TokenStorePostgres

extension PostgresServerTests {
    /// A store left at schema 1 by the previous release, full of tokens, upgraded to schema 2
    /// (token sets) in place: on open and through `schema upgrade`, no token changed.
    @Suite("PostgreSQL upgrade from schema 1", .serverTimeLimit)
    struct SchemaUpgrade {
        /// What the previous release left in its own schema, and the tokens it holds.
        struct Version1Store {
            let url: String
            /// Opened without migrating: it reads the status, writes nothing.
            let unmigrated: PostgresTokenStore
            let accessTokens: [AccessToken]
            let requestTokens: [RequestToken]
        }

        /// Builds a schema as release 1 would have: `schema_migrations` as `migrate` creates
        /// it, the 0001 file, its row, then tokens written with the access and request token
        /// statements (unchanged since release 1), all on one connection.
        static func makeVersion1Store() async throws -> Version1Store {
            let url = try PostgresTestServer.urlWithFreshSchema()
            let store = try await PostgresTokenStore(url: url, options: TokenStoreOptions(migrateSchemaOnOpen: false))
            let version1 = try #require(PostgresMigrations.all.first { $0.version == 1 })
            let schema = PostgresStatements.quote(store.configuration.schema)
            let now = Date()
            let accessTokens = (0..<40).map { accessToken($0, now: now) }
            let requestTokens = (0..<10).map { index in
                RequestToken(
                    provider: "github", token: "request-\(index)", secret: "request-secret-\(index)-\(UUID())",
                    context: RequestTokenContext(
                        callbackURL: "https://app.example/callback", returnTo: index % 2 == 0 ? "/home" : nil,
                        sessionBinding: "session-\(index)", metadata: ["i": "\(index)"]),
                    createdAt: now, timeToLive: .seconds(3600))
            }
            let statements = store.statements
            _ = try await store.withConnection("arrange", gated: false) { connection, deadline throws(LibPQFailure) in
                _ = try await connection.execute(
                    sql: """
                        BEGIN;
                        CREATE SCHEMA \(schema);
                        CREATE TABLE \(schema).schema_migrations (
                            version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
                        SET LOCAL search_path TO \(schema);
                        \(version1.sql);
                        INSERT INTO \(schema).schema_migrations (version, name) VALUES (1, '0001_create_tokens');
                        COMMIT
                        """, deadline: deadline)
                for token in accessTokens {
                    _ = try await connection.execute(
                        statements.saveAccessTokenOverwrite, parameters: PostgresRecordCodec.parameters(token), deadline: deadline)
                }
                for token in requestTokens {
                    _ = try await connection.execute(
                        statements.saveRequestToken, parameters: PostgresRecordCodec.parameters(token), deadline: deadline)
                }
            }
            let status = try await store.schemaStatus()
            #expect(status.currentVersion == 1)
            #expect(status.pending.map(\.version) == [2])
            #expect(status.pending.map(\.name) == ["0002_create_token_sets"])
            return Version1Store(url: url, unmigrated: store, accessTokens: accessTokens, requestTokens: requestTokens)
        }

        /// The `index`th access token of the old store, its optional fields set or not by turns.
        static func accessToken(_ index: Int, now: Date) -> AccessToken {
            let providers = ["github", "x", "prövider"]
            let suffix = index % 7 == 0 ? "-ü\u{1F600}" : ""
            let screenName: String? = index % 2 == 0 ? "Zoë \(index)" : nil
            let accessType: String? = index % 5 == 0 ? "read" : nil
            let metadata: [String: String] = index % 4 == 0 ? ["plan": "pro", "n": String(index)] : [:]
            let created = now.addingTimeInterval(-Double(index) * 3600)
            let updated = now.addingTimeInterval(-Double(index) * 60)
            return AccessToken(
                provider: providers[index % 3], userID: "user-\(index)" + suffix, token: "token-\(index)",
                secret: "secret-\(index)-\(UUID())", screenName: screenName, accessType: accessType,
                createdAt: created, updatedAt: updated, metadata: metadata)
        }

        /// Every token the previous release wrote reads back identical, and nothing else is there.
        static func expectTokensUnchanged(in store: PostgresTokenStore, _ old: Version1Store, tokenSets: Int = 0) async throws {
            var listed: [AccessToken] = []
            var cursor: AccessTokenKey?
            repeat {
                let page = try await store.listAccessTokens(after: cursor, limit: 7)
                listed += page.tokens
                cursor = page.nextCursor
            } while cursor != nil
            #expect(listed == old.accessTokens.sorted { $0.key < $1.key })
            for token in old.accessTokens { #expect(try await store.accessToken(for: token.key) == token) }
            let requests = try await store.listRequestTokens(after: nil, limit: 100).tokens
            #expect(requests == old.requestTokens.sorted { $0.token < $1.token })
            #expect(try await store.counts() == TokenCounts(requestTokens: 10, accessTokens: 40, tokenSets: tokenSets))
        }

        /// Token sets work after the upgrade, beside the old access token under the same key.
        static func expectTokenSetsWork(in store: PostgresTokenStore, _ old: Version1Store) async throws {
            let access = try #require(old.accessTokens.first)
            let set = OAuth2TokenSet(
                provider: access.provider, userID: access.userID, accessToken: "oauth2-access", expiresAt: Date().addingTimeInterval(3600),
                refreshToken: "oauth2-refresh", scope: "read", createdAt: Date())
            #expect(try await store.saveTokenSet(set))
            #expect(try await store.tokenSet(for: set.key)?.version == 1)
            #expect(try await store.acquireRefreshLease(for: set.key, owner: "worker-1", duration: .seconds(30)))
            var refreshed = set
            refreshed.accessToken = "oauth2-access-2"
            #expect(try await store.replaceTokenSet(refreshed, ifVersion: 1)?.version == 2)
            #expect(try await store.acquireRefreshLease(for: set.key, owner: "worker-2", duration: .seconds(30)))
            #expect(try await store.counts().tokenSets == 1)
            #expect(try await store.accessToken(for: access.key) == access)
        }

        @Test("stores opening a schema-1 store together upgrade it once, every token kept, token sets working")
        func upgradeOnOpen() async throws {
            let old = try await Self.makeVersion1Store()
            let stores = try await withThrowingTaskGroup(of: PostgresTokenStore.self) { group in
                for _ in 0..<4 { group.addTask { try await PostgresTokenStore(url: old.url) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for store in stores { #expect(try await store.schemaVersion() == 2) }
            let store = try #require(stores.first)
            let status = try await store.schemaStatus()
            #expect(status.isUpToDate)
            #expect(status.applied.map(\.name) == ["0001_create_tokens", "0002_create_token_sets"])
            try await Self.expectTokensUnchanged(in: store, old)
            try await Self.expectTokenSetsWork(in: store, old)
            // The store opened before the upgrade serves token operations once its status is current.
            #expect(try await old.unmigrated.schemaStatus().isUpToDate)
            #expect(try await old.unmigrated.tokenSet(for: old.accessTokens[0].key)?.version == 2)
            for store in stores { try await store.close() }
            try await old.unmigrated.close()
        }

        @Test("schema upgrade of a schema-1 store applies 0002 only, every token kept, token sets working")
        func upgradeCommand() async throws {
            let old = try await Self.makeVersion1Store()
            let store = old.unmigrated
            let refused = await #expect(throws: TokenStoreError.self) { _ = try await store.tokenSet(for: old.accessTokens[0].key) }
            #expect(refused?.code == .misconfigured)
            #expect(refused?.message.contains("tokenstore schema upgrade") == true)

            let applied = try await store.upgradeSchema()
            #expect(applied.map(\.version) == [2])
            #expect(try await store.schemaVersion() == 2)
            #expect(try await store.upgradeSchema().isEmpty)
            try await Self.expectTokensUnchanged(in: store, old)
            try await Self.expectTokenSetsWork(in: store, old)
            try await store.close()

            let reopened = try await PostgresTokenStore(url: old.url)
            try await Self.expectTokensUnchanged(in: reopened, old, tokenSets: 1)
            try await reopened.close()
        }
    }
}
