import Foundation
import Testing
import TokenStoreKit

@testable import TokenStorePostgres

/// Timestamps written by raw SQL outside what a token can hold: `corruptedRecord` naming
/// the row, never a trap.
extension PostgresServerTests {
    @Suite("PostgreSQL damaged timestamps", .timeLimit(.minutes(5)))
    struct DamagedTimestamps {
        static let secret = "hush-damaged-secret"

        func withStore(_ body: (PostgresTokenStore, _ sql: @escaping @Sendable (String) async throws -> Void) async throws -> Void)
            async throws
        {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema())
            let schema = PostgresStatements.quote(store.configuration.schema)
            for user in ["victim", "good"] {
                try await store.saveAccessToken(AccessToken(
                    provider: "p", userID: user, token: "t-\(user)", secret: Self.secret, createdAt: Date()))
            }
            try await store.saveRequestToken(
                RequestToken(provider: "p", token: "rt", secret: Self.secret, createdAt: Date(), timeToLive: .seconds(600)))
            for user in ["victim", "good"] {
                try await store.saveTokenSet(OAuth2TokenSet(
                    provider: "p", userID: user, accessToken: Self.secret, expiresAt: Date(), refreshToken: Self.secret, createdAt: Date()))
            }
            let sql: @Sendable (String) async throws -> Void = { text in
                _ = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                    try await connection.execute(sql: text.replacingOccurrences(of: "$schema", with: schema), deadline: deadline)
                }
            }
            do {
                try await body(store, sql)
                try await sql("DROP SCHEMA $schema CASCADE")
                try await store.close()
            } catch {
                try? await sql("DROP SCHEMA $schema CASCADE")
                try? await store.close()
                throw error
            }
        }

        static func expectCorrupted(_ error: TokenStoreError?, record: String, operation: String) {
            #expect(error?.code == .corruptedRecord, "\(String(describing: error))")
            #expect(error?.record?.contains(record) == true, "\(error?.record ?? "no record")")
            #expect(error?.operation == operation)
            #expect(error.map { String(reflecting: $0) }?.contains(secret) == false)
        }

        @Test(
            "an access token's timestamp out of range is corruptedRecord",
            arguments: [("created_at", Int64.max), ("updated_at", Int64.max), ("created_at", Int64.min)] as [(String, Int64)])
        func accessTimestamp(column: String, value: Int64) async throws {
            try await withStore { store, sql in
                try await sql("UPDATE $schema.access_tokens SET \(column) = \(value) WHERE user_id = 'victim'")
                let read = await #expect(throws: TokenStoreError.self) {
                    _ = try await store.accessToken(for: AccessTokenKey(provider: "p", userID: "victim"))
                }
                Self.expectCorrupted(read, record: "p/victim", operation: "accessToken")
                let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listAccessTokens(after: nil, limit: 10) }
                Self.expectCorrupted(list, record: "p/victim", operation: "listAccessTokens")
                #expect(try await store.accessToken(for: AccessTokenKey(provider: "p", userID: "good")) != nil)
            }
        }

        @Test(
            "a token set's timestamp out of range, or a version no store writes, is corruptedRecord",
            arguments: [("created_at", Int64.max), ("updated_at", Int64.min), ("expires_at", Int64.max), ("invalidated_at", Int64.min),
                        ("version", 0)] as [(String, Int64)])
        func tokenSetColumn(column: String, value: Int64) async throws {
            try await withStore { store, sql in
                // The CHECK on version guards writes, not a hand edit that drops it.
                try await sql("ALTER TABLE $schema.token_sets DROP CONSTRAINT IF EXISTS token_sets_version_check")
                try await sql("UPDATE $schema.token_sets SET \(column) = \(value) WHERE user_id = 'victim'")
                let key = AccessTokenKey(provider: "p", userID: "victim")
                let read = await #expect(throws: TokenStoreError.self) { _ = try await store.tokenSet(for: key) }
                Self.expectCorrupted(read, record: "p/victim", operation: "tokenSet")
                let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listTokenSets(after: nil, limit: 10) }
                Self.expectCorrupted(list, record: "p/victim", operation: "listTokenSets")
                #expect(try await store.tokenSet(for: AccessTokenKey(provider: "p", userID: "good")) != nil)
            }
        }

        @Test(
            "a request token's timestamp out of range is corruptedRecord",
            arguments: [("created_at", Int64.max), ("expires_at", Int64.max), ("created_at", Int64.min)] as [(String, Int64)])
        func requestTimestamp(column: String, value: Int64) async throws {
            try await withStore { store, sql in
                try await sql("UPDATE $schema.request_tokens SET \(column) = \(value) WHERE token = 'rt'")
                let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listRequestTokens(after: nil, limit: 10) }
                Self.expectCorrupted(list, record: "rt", operation: "listRequestTokens")
                let take = await #expect(throws: TokenStoreError.self) { _ = try await store.takeRequestToken("rt") }
                Self.expectCorrupted(take, record: "rt", operation: "takeRequestToken")
            }
        }
    }
}
