import Foundation
import OAuth1
import Testing

/// `OAuth1Base64`, the package's one base64: Foundation's encoder as the independent
/// reference for the output, and a decoder that accepts exactly the canonical spellings
/// (OpenSSL's and Foundation's decoders both let through some non-canonical ones).
@Suite(.inProcessTimeLimit) struct Base64Tests {
    /// Every length up to a few blocks, so each tail (0, 1 or 2 bytes) is covered.
    static let samples: [[UInt8]] = (0..<70).map { length in (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) } }

    @Test func encodesAsFoundationDoes() {
        for bytes in Self.samples {
            #expect(OAuth1Base64.encode(bytes) == Data(bytes).base64EncodedString(), "\(bytes.count) bytes")
        }
    }

    @Test func encodesURLUnpadded() {
        for bytes in Self.samples {
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(OAuth1Base64.encodeURL(bytes) == expected, "\(bytes.count) bytes")
        }
    }

    @Test func decodesEveryAcceptedSpelling() {
        for bytes in Self.samples {
            let standard = Data(bytes).base64EncodedString()
            let url = OAuth1Base64.encodeURL(bytes)
            let unpadded = String(standard.prefix(while: { $0 != "=" }))
            for spelling in Set([standard, url, unpadded]) {
                #expect(OAuth1Base64.decode(spelling) == bytes, "\(bytes.count) bytes as '\(spelling)'")
            }
        }
    }

    /// What the library decoders accept but a canonical decoder must not: non-zero bits
    /// after the last byte, padding anywhere but the end or too much of it, whitespace,
    /// impossible lengths, characters of neither alphabet.
    @Test(arguments: [
        "QR==", "QR", "QUK=", "QUK", "====", "=", "Q=Q=", "QQ=A", "QQ===", "QUJD=", "=QUJD", " QQ==", "QQ==\n",
        "QQ ==", "Q", "QUJDQ", "!!!!", "QU*D", "QUJD\u{0}", "QUJDé", "QQ==QQ==",
    ])
    func rejectsNonCanonicalText(_ text: String) {
        #expect(OAuth1Base64.decode(text) == nil, "'\(text)'")
    }

    @Test func emptyTextIsNoBytes() {
        #expect(OAuth1Base64.encode([UInt8]()) == "")
        #expect(OAuth1Base64.decode("") == [])
    }
}
