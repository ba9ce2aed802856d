import Foundation
import Testing
import TokenStoreFile
import TokenStoreKit

@Suite("FileTokenStore record format", .inProcessTimeLimit)
struct FileRecordFormatTests {
    static let path = "/access/70.75.json"  // provider "p", user "u"
    static let key = AccessTokenKey(provider: "p", userID: "u")

    func withStore(_ body: (FileTokenStore, String) async throws -> Void) async throws {
        let directory = StoreTestDirectory("format")
        defer { directory.remove() }
        let store = try await FileTokenStore(configuration: .init(directory: directory.path))
        try await body(store, directory.path + Self.path)
        try await store.close()
    }

    @Test("records written by hand or by other JSON writers are read")
    func foreignButValidJSON() async throws {
        try await withStore { store, path in
            let text = """
                {
                  "kind" : "access", "format" : "tokenstore-file-1",
                  "provider" : "p", "userID" : "u", "token" : "t\\/\\u00e9\\ud83d\\ude00",
                  "secret" : "s\\\\\\"\\n\\t\\b\\f", "screenName" : null,
                  "metadata" : { "a" : "1", "\\u0001" : "" },
                  "createdAt" : 1700000000123, "updatedAt" : 1700000000456.0
                }
                """
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let token = try #require(try await store.accessToken(for: Self.key))
            #expect(token.token == "t/é😀")
            #expect(token.secret == "s\\\"\n\t\u{8}\u{c}")
            #expect(token.screenName == nil)
            #expect(token.metadata == ["a": "1", "\u{1}": ""])
            #expect(token.createdAt == Date(milliseconds: 1_700_000_000_123))
            #expect(token.updatedAt == Date(milliseconds: 1_700_000_000_456))
        }
    }

    @Test("every truncation and byte flip of a record is a typed error or a token, never a crash")
    func damagedRecords() async throws {
        try await withStore { store, path in
            let original = AccessToken(
                provider: "p", userID: "u", token: "tok\u{1}", secret: "sé\"cret😀", screenName: "n",
                createdAt: Date(milliseconds: 1_700_000_000_000), metadata: ["k": "v\\"])
            try await store.saveAccessToken(original)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(try await store.accessToken(for: Self.key) == original)
            var variants: [[UInt8]] = (0..<bytes.count).map { Array(bytes[..<$0]) }
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<300 {
                var copy = bytes
                copy[Int.random(in: 0..<copy.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                variants.append(copy)
            }
            for variant in variants {
                try Data(variant).write(to: URL(fileURLWithPath: path))
                do {
                    let token = try await store.accessToken(for: Self.key)
                    #expect(token?.key == Self.key)
                } catch let error as TokenStoreError {
                    #expect(error.code == .corruptedRecord)
                    #expect(error.record == path)
                    // The fixed words of a record missing its secret field name the field.
                    #expect(!error.description.replacingOccurrences(of: "has no secret;", with: "").contains("cret"))
                }
            }
        }
    }

    @Test("records are compact JSON with the secret escaped")
    func writtenFormat() async throws {
        try await withStore { store, path in
            try await store.saveAccessToken(AccessToken(
                provider: "p", userID: "u", token: "t", secret: "a\"b\\c\nd\u{1}", createdAt: Date(milliseconds: 5)))
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("{\"format\":\"tokenstore-file-1\",\"kind\":\"access\""))
            #expect(text.contains("\"secret\":\"a\\\"b\\\\c\\nd\\u0001\""))
            #expect(text.contains("\"createdAt\":5"))
            let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            #expect(decoded?["secret"] as? String == "a\"b\\c\nd\u{1}")
        }
    }
}
