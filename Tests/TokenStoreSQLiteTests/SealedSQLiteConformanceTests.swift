import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLite
import TokenStoreSealing
import TokenStoreTesting

/// The store and flow conformance suites through ``SealedTokenStore`` over SQLite, and the
/// database file holding no secret.
@Suite("Sealed SQLite conformance", .serverTimeLimit)
struct SealedSQLiteConformanceTests {
    static func keys() throws -> SealingKeyRing {
        try SealingKeyRing(keys: [
            SealingKey(id: "k2", material: [UInt8](repeating: 2, count: 32)),
            SealingKey(id: "k1", material: [UInt8](repeating: 1, count: 32)),
        ])
    }

    @Test("a sealed database file", arguments: TokenStoreConformance.caseNames)
    func file(caseName: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        let keys = try Self.keys()
        try await TokenStoreConformance(name: "sealed-sqlite-file") { clock in
            SealedTokenStore(
                wrapping: try await SQLiteTokenStore(configuration: .init(path: path, clock: clock)), keys: keys)
        }.run(case: caseName)
    }

    @Test("authorization flow over a sealed SQLite store")
    func flow() async throws {
        let keys = try Self.keys()
        try await AuthorizationFlowConformance(name: "sealed-sqlite") { clock in
            SealedTokenStore(
                wrapping: try await SQLiteTokenStore(configuration: .init(path: ":memory:", clock: clock)), keys: keys)
        }.run()
    }

    /// The database file, its WAL and the plain store's view hold ciphertext only.
    @Test func databaseHoldsNoSecret() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        let inner = try await SQLiteTokenStore(configuration: .init(path: path))
        let store = SealedTokenStore(wrapping: inner, keys: try Self.keys())
        let secret = "SQLITE-SECRET-\(UUID())"
        try await store.saveAccessToken(
            AccessToken(provider: "p", userID: "u", token: "t", secret: secret, createdAt: Date()))
        let raw = try #require(try await inner.accessToken(provider: "p", userID: "u"))
        #expect(raw.secret.hasPrefix("tsv1:k2:") && !raw.secret.contains(secret))
        #expect(try await store.accessToken(provider: "p", userID: "u")?.secret == secret)
        try await store.close()
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + file))
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds the secret")
        }
    }
}
