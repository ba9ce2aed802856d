import Foundation
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStorePostgres

/// How a bulk save splits repeated keys into rounds (no server needed).
@Suite("PostgreSQL bulk rounds", .serverTimeLimit)
struct PostgresBulkRoundsTests {
    @Test func rounds() {
        let rounds = PostgresTokenStore.rounds(of: [["a"], ["b"], ["a"], ["c"], ["a"], ["b"]])
        #expect(rounds == [[0, 1, 3], [2, 5], [4]])
    }
}

extension PostgresServerTests {
    /// The bulk paths against a server: exact values, duplicate keys, counts like one-by-one.
    @Suite("PostgreSQL bulk writes", .serverTimeLimit)
    struct BulkWrites {
        @Test("hostile values roundtrip through an access-token batch")
        func hostileAccessTokens() async throws {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema())
            let values = [
                "'; DROP TABLE x; --", "\"", "\\", "\\\"", "{a,b}", "NULL", "null", "", " ", "a,b", "🙂", "line\nbreak",
                "\t", "\u{FEFF}", "$1", "::text", "}", "{", "\"{\\}\"",
            ]
            let base = Date(timeIntervalSince1970: 1_700_000_000)
            let tokens = values.enumerated().map { index, value in
                AccessToken(
                    provider: "p" + value, userID: value, token: value, secret: value, screenName: index % 2 == 0 ? value : nil,
                    accessType: index % 3 == 0 ? nil : value, createdAt: base.addingTimeInterval(Double(index)),
                    metadata: index % 2 == 0 ? [value: value] : [:])
            }
            #expect(try await store.saveAccessTokens(tokens, policy: .overwrite) == tokens.count)
            for token in tokens {
                #expect(try await store.accessToken(for: token.key) == token, "value \(token.userID.debugDescription)")
            }
            let requests = values.enumerated().map { index, value in
                RequestToken(
                    provider: value, token: "rt\(index)" + value, secret: value,
                    context: RequestTokenContext(
                        callbackURL: index % 2 == 0 ? value : nil, returnTo: value, sessionBinding: nil, metadata: [value: value]),
                    createdAt: Date())
            }
            #expect(try await store.saveRequestTokens(requests) == requests.count)
            for token in requests {
                #expect(try await store.takeRequestToken(token.token) == token, "value \(token.secret.debugDescription)")
            }
            try await store.close()
        }

        @Test("a key given several times in one batch writes and counts like saving one by one", arguments: [WritePolicy.overwrite, .ifNewer])
        func duplicateKeys(policy: WritePolicy) async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            let store = try await PostgresTokenStore(url: url)
            let reference = InMemoryTokenStore()
            let base = Date(timeIntervalSince1970: 1_700_000_000)
            func token(_ user: String, _ offset: Double, created: Double = 0) -> AccessToken {
                AccessToken(
                    provider: "p", userID: user, token: "t-\(user)-\(offset)", secret: "s-\(offset)",
                    createdAt: base.addingTimeInterval(created), updatedAt: base.addingTimeInterval(offset))
            }
            let stored = [token("a", 5), token("b", 5)]
            _ = try await store.saveAccessTokens(stored, policy: .overwrite)
            _ = try await reference.saveAccessTokens(stored, policy: .overwrite)
            // a: older, newer, equal, newest; b: newer twice; c: new, older, newer.
            let batch = [
                token("a", 1), token("b", 6), token("a", 7), token("c", 3, created: 3), token("a", 7), token("c", 2, created: 2),
                token("b", 8), token("a", 9), token("c", 4, created: 4),
            ]
            let written = try await store.saveAccessTokens(batch, policy: policy)
            let expected = try await reference.saveAccessTokens(batch, policy: policy)
            #expect(written == expected)
            for user in ["a", "b", "c"] {
                let key = AccessTokenKey(provider: "p", userID: user)
                #expect(try await store.accessToken(for: key) == reference.accessToken(for: key), "user \(user)")
            }
            try await store.close()
        }

        @Test("a batch larger than one statement's chunk is written in full; a refused row writes nothing")
        func largeBatch() async throws {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema())
            let count = PostgresTokenStore.bulkChunk * 2 + 17
            let tokens = (0..<count).map { index in
                AccessToken(provider: "p", userID: String(format: "u%05d", index), token: "t\(index)", secret: "s\(index)", createdAt: Date())
            }
            #expect(try await store.saveAccessTokens(tokens, policy: .ifNewer) == count)
            #expect(try await store.saveAccessTokens(tokens, policy: .ifNewer) == 0)
            #expect(try await store.counts().accessTokens == count)
            let requests = (0..<count).map { index in
                RequestToken(provider: "p", token: "r\(index)", secret: "s", createdAt: Date())
            }
            #expect(try await store.saveRequestTokens(requests) == count)
            #expect(try await store.counts().requestTokens == count)

            // A failing row (NUL) is refused before anything is sent: nothing of the batch lands.
            var bad = tokens.map { token in
                var copy = token
                copy.userID = "x" + copy.userID
                return copy
            }
            bad[count - 1].secret = "nul\u{0}"
            await #expect(throws: TokenStoreError.self) { try await store.saveAccessTokens(bad, policy: .overwrite) }
            #expect(try await store.counts().accessTokens == count)
            try await store.close()
        }
    }
}
