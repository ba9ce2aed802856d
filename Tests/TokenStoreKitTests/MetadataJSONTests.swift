import Foundation
import Testing
import TokenStoreKit

@Suite("Metadata JSON", .inProcessTimeLimit)
struct MetadataJSONTests {
    static let tricky: [[String: String]] = [
        [:],
        ["plan": "pro"],
        ["plan": "pro", "x": "1", "a": ""],
        ["quote\"key": "back\\slash", "slash/": "</script>"],
        ["controls": "\u{0}\u{1}\u{8}\u{C}\n\r\t\u{1F}", "del": "\u{7F}"],
        ["é": "naïve", "emoji": "😀👩‍👩‍👧", "bom": "\u{FEFF}x\u{FEFF}", "cjk": "東京"],
        ["long": String(repeating: "abc\"", count: 500)],
    ]

    @Test("what it encodes decodes to the same dictionary, and Foundation reads the same", arguments: tricky)
    func roundTrip(metadata: [String: String]) throws {
        let json = MetadataJSON.encode(metadata)
        #expect(MetadataJSON.decode(json) == metadata)
        let foundation = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        #expect(foundation == metadata)
    }

    @Test("keys are sorted by their bytes, so the same dictionary gives the same text")
    func stableBytes() {
        #expect(MetadataJSON.encode(["b": "2", "a": "1", "B": "3"]) == #"{"B":"3","a":"1","b":"2"}"#)
    }

    @Test("reads what others wrote: jsonb's spacing, JSONEncoder's output, every escape")
    func readsOtherWriters() throws {
        #expect(MetadataJSON.decode(#"{"x": "1", "plan": "pro"}"#) == ["x": "1", "plan": "pro"])
        #expect(MetadataJSON.decode(" {\n\t\"a\" :\r\"b\" } ") == ["a": "b"])
        #expect(MetadataJSON.decode(#"{"e":"\u00e9\u00C9","s":"\ud83d\ude00","esc":"\"\\\/\b\f\n\r\t"}"#)
            == ["e": "éÉ", "s": "😀", "esc": "\"\\/\u{8}\u{C}\n\r\t"])
        #expect(MetadataJSON.decode(#"{"a":"1","a":"2"}"#) == ["a": "2"])
        #expect(MetadataJSON.decode("{}") == [:])
        #expect(MetadataJSON.decode("{ }") == [:])
        #expect(MetadataJSON.encode([:]) == "{}")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for metadata in Self.tricky {
            let json = String(decoding: try encoder.encode(metadata), as: UTF8.self)
            #expect(MetadataJSON.decode(json) == metadata, "\(json)")
        }
    }

    @Test("refuses anything but an object of strings", arguments: [
        "", " ", "[]", "null", "\"a\"", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1}", "{\"a\":null}",
        "{\"a\":[\"b\"]}", "{\"a\":{\"b\":\"c\"}}", "{\"a\":\"b\",}", "{,}", "{\"a\" \"b\"}", "{\"a\":\"b\"\"c\":\"d\"}",
        "{\"a\":\"b\"} x", "{\"a\":\"b\"}{}", "{\"a\":\"b", "{\"a\":\"b\\", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\u12g4\"}", "{\"a\":\"\\ud83d\"}", "{\"a\":\"\\ude00\"}", "{\"a\":\"\\ud83d\\u0041\"}",
        "{\"a\":\"tab\there\"}", "{\"a\":\"new\nline\"}", "{'a':'b'}", "{a:\"b\"}",
    ])
    func refuses(json: String) {
        #expect(MetadataJSON.decode(json) == nil)
    }
}
