import Testing

@testable import TokenStorePostgres

/// The row codec's shortcuts must agree with the general paths they skip (metadata: see
/// `MetadataJSONTests`).
@Suite("PostgreSQL row codec fast paths", .inProcessTimeLimit)
struct PostgresRowCodecFastPathTests {
    @Test("NUL is found anywhere, including next to combining marks")
    func nul() {
        #expect(PostgresRowCodec.hasNUL("a\u{0}b"))
        #expect(PostgresRowCodec.hasNUL("\u{0}\u{301}"))
        #expect(!PostgresRowCodec.hasNUL("é\u{301}"))
        #expect(!PostgresRowCodec.hasNUL(""))
        #expect(throws: (any Error).self) {
            try PostgresRowCodec.checkStorable(["ok", nil, "bad\u{0}"], store: "s", operation: "op")
        }
        #expect(throws: Never.self) { try PostgresRowCodec.checkStorable(["ok", nil], store: "s", operation: "op") }
    }
}
