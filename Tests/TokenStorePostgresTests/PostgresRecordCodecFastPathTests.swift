import Foundation
import Testing
import TokenStoreKit

@testable import TokenStorePostgres

/// The row codec's shortcuts must agree with the general paths they skip (metadata: see
/// `MetadataJSONTests`).
@Suite("PostgreSQL row codec fast paths", .inProcessTimeLimit)
struct PostgresRecordCodecFastPathTests {
    @Test("NUL is found anywhere, including next to combining marks")
    func nul() {
        #expect(PostgresRecordCodec.hasNUL("a\u{0}b"))
        #expect(PostgresRecordCodec.hasNUL("\u{0}\u{301}"))
        #expect(!PostgresRecordCodec.hasNUL("é\u{301}"))
        #expect(!PostgresRecordCodec.hasNUL(""))
        #expect(throws: (any Error).self) {
            try PostgresRecordCodec.checkStorable(["ok", nil, "bad\u{0}"], store: "s", operation: "op")
        }
        #expect(throws: Never.self) { try PostgresRecordCodec.checkStorable(["ok", nil], store: "s", operation: "op") }
    }

    @Test("each column list is as wide as the parameters and rows of its token, keys first")
    func columnLists() {
        let now = Date()
        let request = RequestToken(provider: "p", token: "t", secret: "s", createdAt: now, expiresAt: now)
        let access = AccessToken(provider: "p", userID: "u", token: "t", secret: "s", createdAt: now)
        #expect(PostgresRecordCodec.parameters(request).count == PostgresRecordCodec.requestColumns.count)
        #expect(PostgresRecordCodec.parameters(access).count == PostgresRecordCodec.accessColumns.count)
        #expect(PostgresRecordCodec.requestColumns.prefix { $0.isKey }.count == PostgresRecordCodec.key(request).count)
        #expect(PostgresRecordCodec.accessColumns.prefix { $0.isKey }.count == PostgresRecordCodec.key(access).count)
        #expect(PostgresResultShape.requestToken.columns.map(\.name) == PostgresRecordCodec.requestColumns.map(\.name))
        #expect(PostgresResultShape.accessToken.columns.map(\.name) == PostgresRecordCodec.accessColumns.map(\.name))
        let tokenSet = OAuth2TokenSet(provider: "p", userID: "u", accessToken: "a", createdAt: now, version: 9)
        #expect(PostgresRecordCodec.parameters(tokenSet).count == PostgresRecordCodec.tokenSetColumns.count)
        #expect(PostgresRecordCodec.tokenSetColumns.prefix { $0.isKey }.count == PostgresRecordCodec.key(tokenSet).count)
        #expect(PostgresResultShape.tokenSet.columns.map(\.name) == PostgresRecordCodec.tokenSetColumns.map(\.name))
        #expect(PostgresRecordCodec.replacement(tokenSet, ifVersion: 4).count == PostgresRecordCodec.replacedTokenSetColumns.count)
    }

    @Test("a token set's own version is never sent: a save sends 1, a compare-and-set the expected version")
    func tokenSetVersionParameter() throws {
        let tokenSet = OAuth2TokenSet(provider: "p", userID: "u", accessToken: "a", createdAt: Date(), version: 9)
        let versionIndex = try #require(PostgresRecordCodec.tokenSetColumns.firstIndex { $0.isVersion })
        #expect(PostgresRecordCodec.parameters(tokenSet)[versionIndex] == "1")
        #expect(PostgresRecordCodec.replacement(tokenSet, ifVersion: 4).last == "4")
        #expect(!PostgresRecordCodec.replacedTokenSetColumns.contains { $0.name == "created_at" })
    }
}
