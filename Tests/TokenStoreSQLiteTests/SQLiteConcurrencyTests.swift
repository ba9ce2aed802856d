import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLite

@Suite("SQLite concurrency", .inProcessTimeLimit)
struct SQLiteConcurrencyTests {
    @Test("concurrent takes through two stores over one file: exactly one winner per token")
    func oneWinner() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let first = try await SQLiteTokenStore(configuration: .init(path: path))
        let second = try await SQLiteTokenStore(configuration: .init(path: path, maxConnections: 2))
        let tokens = (0..<20).map { index in
            RequestToken(provider: "p", token: "race-\(index)", secret: String(repeating: "s", count: 65_536), createdAt: Date())
        }
        for token in tokens { try await first.saveRequestToken(token) }
        let wins = try await withThrowingTaskGroup(of: String?.self) { group in
            for token in tokens {
                for attempt in 0..<8 {
                    let store = attempt.isMultiple(of: 2) ? first : second
                    group.addTask { try await store.takeRequestToken(token.token)?.token }
                }
            }
            return try await group.reduce(into: [String]()) { if let won = $1 { $0.append(won) } }
        }
        #expect(wins.sorted() == tokens.map(\.token).sorted())
        #expect(try await first.counts().requestTokens == 0)
    }

    @Test("many concurrent readers and writers all complete")
    func mixedLoad() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try await SQLiteTokenStore(configuration: .init(path: directory.path + "/t.db", maxConnections: 2))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask {
                    for index in 0..<50 {
                        let token = sampleAccessToken(provider: "load", userID: "\(task)-\(index)")
                        try await store.saveAccessToken(token)
                        #expect(try await store.accessToken(for: token.key) == token)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.counts().accessTokens == 800)
    }
}
