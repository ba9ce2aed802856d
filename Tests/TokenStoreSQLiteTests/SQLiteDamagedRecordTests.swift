import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLite

/// Timestamps written by raw SQL outside what a token can hold: `corruptedRecord` naming
/// the row and the column, never a trap.
@Suite("SQLite damaged timestamps", .timeLimit(.minutes(5)))
struct SQLiteDamagedRecordTests {
    static let secret = "hush-damaged-secret"

    func withStore(_ body: (SQLiteTokenStore, RawSQLite) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let store = try await SQLiteTokenStore(configuration: .init(path: path))
        try await store.saveAccessToken(sampleAccessToken(userID: "victim", secret: Self.secret))
        try await store.saveAccessToken(sampleAccessToken(userID: "good"))
        try await store.saveRequestToken(
            RequestToken(provider: "p", token: "rt", secret: Self.secret, createdAt: Date(), timeToLive: .seconds(600)))
        for userID in ["victim", "good"] {
            try await store.saveTokenSet(OAuth2TokenSet(
                provider: "twitter", userID: userID, accessToken: Self.secret, expiresAt: Date(), refreshToken: Self.secret,
                idToken: Self.secret, createdAt: Date(), invalidatedAt: Date()))
        }
        try await body(store, try RawSQLite(path: path))
        try await store.close()
    }

    static func expectCorrupted(_ error: TokenStoreError?, record: String, column: String, value: Int64) {
        #expect(error?.code == .corruptedRecord, "\(String(describing: error))")
        #expect(error?.record?.contains(record) == true, "\(error?.record ?? "no record")")
        #expect(error?.message.contains(column) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(String(value)) == true, "\(error?.message ?? "")")
        #expect(error.map { String(reflecting: $0) }?.contains(secret) == false)
    }

    @Test(
        "an access token's timestamp out of range is corruptedRecord",
        arguments: [
            ("created_at", Int64.max), ("updated_at", Int64.max), ("created_at", Int64.min),
            ("updated_at", 253_402_300_800_000),
        ] as [(String, Int64)])
    func accessTimestamp(column: String, value: Int64) async throws {
        try await withStore { store, raw in
            try raw.execute("UPDATE access_tokens SET \(column) = \(value) WHERE user_id = 'victim'")
            let read = await #expect(throws: TokenStoreError.self) {
                _ = try await store.accessToken(provider: "twitter", userID: "victim")
            }
            Self.expectCorrupted(read, record: "twitter/victim", column: column, value: value)
            #expect(read?.operation == "accessToken")
            let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listAccessTokens(after: nil, limit: 10) }
            Self.expectCorrupted(list, record: "twitter/victim", column: column, value: value)
            #expect(try await store.accessToken(provider: "twitter", userID: "good") != nil, "other rows still work")
        }
    }

    @Test(
        "a token set's timestamp out of range is corruptedRecord",
        arguments: [
            ("created_at", Int64.max), ("updated_at", Int64.min), ("expires_at", Int64.max),
            ("invalidated_at", 253_402_300_800_000),
        ] as [(String, Int64)])
    func tokenSetTimestamp(column: String, value: Int64) async throws {
        try await withStore { store, raw in
            try raw.execute("UPDATE token_sets SET \(column) = \(value) WHERE user_id = 'victim'")
            let key = AccessTokenKey(provider: "twitter", userID: "victim")
            let read = await #expect(throws: TokenStoreError.self) { _ = try await store.tokenSet(for: key) }
            Self.expectCorrupted(read, record: "twitter/victim", column: column, value: value)
            #expect(read?.operation == "tokenSet")
            let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listTokenSets(after: nil, limit: 10) }
            Self.expectCorrupted(list, record: "twitter/victim", column: column, value: value)
            #expect(list?.operation == "listTokenSets")
            #expect(try await store.tokenSet(for: AccessTokenKey(provider: "twitter", userID: "good")) != nil, "other rows still work")
            #expect(try await store.accessToken(provider: "twitter", userID: "victim") != nil, "the access token is another record")
            #expect(try await store.deleteTokenSet(for: key), "a damaged row can be deleted")
        }
    }

    @Test("a token set row with a wrong type, bad metadata JSON or a bad version is corruptedRecord naming its key")
    func tokenSetWrongTypes() async throws {
        try await withStore { store, raw in
            let columns = "provider, user_id, access_token, token_type, metadata, created_at, updated_at, version"
            let rows = [
                "bad-json": "'hush', 'Bearer', 'not json', 1, 1, 1",
                "bad-array": "'hush', 'Bearer', '[\"a\"]', 1, 1, 1",
                "bad-date": "'hush', 'Bearer', NULL, 'yesterday', 1, 1",
                "bad-blob": "X'00', 'Bearer', NULL, 1, 1, 1",
                "bad-utf8": "'hush', CAST(X'C328' AS TEXT), NULL, 1, 1, 1",
                "bad-version": "'hush', 'Bearer', NULL, 1, 1, 'one'",
                "zero-version": "'hush', 'Bearer', NULL, 1, 1, 0",
                "real-version": "'hush', 'Bearer', NULL, 1, 1, 1.5",
            ]
            for (userID, values) in rows {
                try raw.execute("INSERT INTO token_sets (\(columns)) VALUES ('twitter', '\(userID)', \(values))")
            }
            let problems = [
                "bad-json": "metadata is not a JSON object of strings", "bad-array": "metadata is not a JSON object of strings",
                "bad-date": "created_at is not an integer", "bad-blob": "access_token is not text",
                "bad-utf8": "token_type is not valid UTF-8", "bad-version": "version is not an integer",
                "zero-version": "version 0 is below 1", "real-version": "version is not an integer",
            ]
            for (userID, problem) in problems {
                let error = await #expect(throws: TokenStoreError.self) {
                    _ = try await store.tokenSet(for: AccessTokenKey(provider: "twitter", userID: userID))
                }
                #expect(error?.code == .corruptedRecord)
                #expect(error?.record?.contains("twitter/\(userID)") == true)
                #expect(error?.operation == "tokenSet")
                #expect(error?.message.contains(problem) == true, "\(userID): \(error?.message ?? "no error")")
                #expect(error.map { String(reflecting: $0) }?.contains("hush") == false)
            }
            #expect(try await store.tokenSet(for: AccessTokenKey(provider: "twitter", userID: "good")) != nil)
        }
    }

    @Test(
        "a request token's timestamp out of range is corruptedRecord",
        arguments: [("created_at", Int64.max), ("expires_at", Int64.max), ("created_at", Int64.min)] as [(String, Int64)])
    func requestTimestamp(column: String, value: Int64) async throws {
        try await withStore { store, raw in
            try raw.execute("UPDATE request_tokens SET \(column) = \(value) WHERE token = 'rt'")
            let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listRequestTokens(after: nil, limit: 10) }
            Self.expectCorrupted(list, record: "rt", column: column, value: value)
            let take = await #expect(throws: TokenStoreError.self) { _ = try await store.takeRequestToken("rt") }
            Self.expectCorrupted(take, record: "rt", column: column, value: value)
            #expect(take?.operation == "takeRequestToken")
        }
    }
}

/// A configured busy timeout beyond any sensible value saturates, never traps.
@Suite("SQLite huge busy timeout", .timeLimit(.minutes(5)))
struct SQLiteHugeBusyTimeoutTests {
    @Test("a busy timeout of .seconds(.max) opens a working store")
    func hugeBusyTimeout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try await SQLiteTokenStore(
            configuration: .init(path: directory.path + "/t.db", busyTimeout: .seconds(Int64.max)))
        try await store.saveAccessToken(sampleAccessToken(userID: "u"))
        #expect(try await store.accessToken(provider: "twitter", userID: "u") != nil)
        try await store.close()
    }
}
