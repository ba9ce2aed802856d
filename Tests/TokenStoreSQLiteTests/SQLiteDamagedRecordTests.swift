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
