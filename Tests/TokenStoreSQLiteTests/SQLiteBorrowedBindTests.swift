import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreSQLite

/// The hot calls bind their texts borrowed (no SQLite copy): from the key's own bytes
/// (get, take) or from a scratch buffer the connection reuses and grows (put). These check
/// that what is stored and read back is exactly what was passed, whatever the sizes.
@Suite("SQLite borrowed bindings", .inProcessTimeLimit)
struct SQLiteBorrowedBindTests {
    static func token(_ userID: String, size: Int, screenName: String?, accessType: String?) -> AccessToken {
        AccessToken(
            provider: "prøvider", userID: userID, token: String(repeating: "t", count: size),
            secret: String(repeating: "é", count: size), screenName: screenName, accessType: accessType,
            createdAt: Date(milliseconds: 1_000), updatedAt: Date(milliseconds: 2_000), metadata: ["k": "v"])
    }

    @Test("puts of growing, shrinking and empty values read back exactly")
    func sizes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try await SQLiteTokenStore(configuration: .init(path: directory.path + "/borrowed.sqlite"))
        // The buffer starts at 256 bytes: cross that, go far past it, then back to small.
        for (index, size) in [0, 1, 10, 200, 5_000, 3, 0].enumerated() {
            let token = Self.token("user\(index)", size: size, screenName: index % 2 == 0 ? "" : nil, accessType: "write")
            try await store.saveAccessToken(token)
            #expect(try await store.accessToken(for: token.key) == token)
        }
        // Earlier rows were not disturbed by later binds reusing the buffer.
        let first = Self.token("user0", size: 0, screenName: "", accessType: "write")
        #expect(try await store.accessToken(for: first.key) == first)
        try await store.close()
    }

    @Test("an overwrite with shorter values leaves no bytes of the longer ones")
    func overwriteShorter() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try await SQLiteTokenStore(configuration: .init(path: directory.path + "/borrowed.sqlite"))
        try await store.saveAccessToken(Self.token("u", size: 300, screenName: "long name", accessType: nil))
        let short = Self.token("u", size: 2, screenName: nil, accessType: "r")
        try await store.saveAccessToken(short)
        #expect(try await store.accessToken(for: short.key) == short)
        try await store.close()
    }

    @Test("get and take with empty, long and non-ASCII keys")
    func keys() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try await SQLiteTokenStore(configuration: .init(path: directory.path + "/borrowed.sqlite"))
        let long = String(repeating: "ü", count: 400)
        for userID in ["", "x", long] {
            let token = Self.token(userID, size: 20, screenName: nil, accessType: nil)
            try await store.saveAccessToken(token)
            #expect(try await store.accessToken(for: token.key) == token)
            #expect(try await store.accessToken(for: AccessTokenKey(provider: "prøvider", userID: userID + "?")) == nil)
        }
        let request = RequestToken(
            provider: "p", token: long, secret: "s", context: RequestTokenContext(),
            createdAt: Date(), expiresAt: Date().addingTimeInterval(600))
        try await store.saveRequestToken(request)
        #expect(try await store.takeRequestToken(long + "x") == nil)
        #expect(try await store.takeRequestToken(long)?.token == long)
        #expect(try await store.takeRequestToken(long) == nil)
        try await store.close()
    }

    @Test("a text the scratch buffer cannot hold is bound as a copy, intact")
    func beyondReservation() throws {
        // A reservation of 3 bytes gets the 256-byte minimum; the 300-byte text does not fit.
        let long = String(repeating: "x", count: 300)
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (a TEXT, b TEXT, c TEXT, d TEXT)")
        try connection.withStatement("INSERT INTO t VALUES (?1, ?2, ?3, ?4)") { statement throws in
            connection.reserveScratch(byteCount: 3)
            try connection.bindScratchText(statement, 1, "abc")
            try connection.bindScratchText(statement, 2, long)
            try connection.bindScratchText(statement, 3, "")
            try connection.bindScratchText(statement, 4, nil)
            #expect(try connection.step(statement) == false)
            connection.finish(statement)
        }
        try connection.withStatement("SELECT a, b, c, d FROM t") { statement throws in
            #expect(try connection.step(statement))
            #expect(try connection.text(statement, 0, column: "a") == "abc")
            #expect(try connection.text(statement, 1, column: "b") == long)
            #expect(try connection.text(statement, 2, column: "c") == "")
            #expect(try connection.text(statement, 3, column: "d") == nil)
        }
    }
}
