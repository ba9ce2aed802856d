import OAuth1
import Testing

@Suite(.inProcessTimeLimit) struct PercentEncodingTests {
    @Test(arguments: [
        ("abcXYZ019-._~", "abcXYZ019-._~"),
        ("", ""),
        (" ", "%20"),
        ("+", "%2B"),
        ("a+b c", "a%2Bb%20c"),
        ("☃", "%E2%98%83"),
        ("é", "%C3%A9"),
        ("😀", "%F0%9F%98%80"),
        ("!*'();:@&=+$,/?#[]", "%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D"),
        ("%", "%25"),
        ("%20", "%2520"),
        ("\n\0", "%0A%00"),
        (
            "Hello Ladies + Gentlemen, a signed OAuth request!",
            "Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21"
        ),
    ])
    func encode(_ input: String, _ expected: String) {
        #expect(OAuth1PercentEncoding.encode(input) == expected)
    }

    /// Every ASCII character: only RFC 3986's unreserved ones stay, the rest become `%XX`
    /// with uppercase hex; every byte of a multi-byte character is escaped.
    @Test func everyASCIICharacterAndEveryNonASCIIByte() {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".unicodeScalars)
        for value in UInt8(0)...127 {
            let scalar = Unicode.Scalar(value)
            let expected = unreserved.contains(scalar) ? String(scalar) : "%" + hex(value)
            #expect(OAuth1PercentEncoding.encode(String(scalar)) == expected, "\(value)")
        }
        for value in UInt32(0x80)...0x7FF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let expected = String(scalar).utf8.map { "%" + hex($0) }.joined()
            #expect(OAuth1PercentEncoding.encode(String(scalar)) == expected, "\(value)")
        }
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    @Test func decodeIsTheInverseOfEncode() throws {
        for text in ["", "a b+c", "☃ & é", "%41", "~-._", "😀/?#"] {
            #expect(try OAuth1PercentEncoding.decode(OAuth1PercentEncoding.encode(text)) == text)
        }
    }

    @Test func decodeKeepsPlusAndAcceptsLowercaseHex() throws {
        #expect(try OAuth1PercentEncoding.decode("a+b") == "a+b")
        #expect(try OAuth1PercentEncoding.decode("%e2%98%83") == "☃")
        #expect(try OAuth1PercentEncoding.decode("%2b") == "+")
    }

    @Test(arguments: ["%", "%2", "%zz", "abc%4", "%G0", "%FF", "%C3"])
    func malformedEscapesThrow(_ input: String) {
        let error = #expect(throws: OAuth1Error.self) { try OAuth1PercentEncoding.decode(input) }
        #expect(error?.code == .invalidRequest)
    }

    @Test func parseFormDecodesPlusAsSpaceAndKeepsOrderAndDuplicates() throws {
        let parsed = try OAuth1PercentEncoding.parseForm("b=2+q&a=%2B&b=1&c&d=&=e&&f=x=y")
        #expect(
            parsed == [
                OAuth1Parameter("b", "2 q"), OAuth1Parameter("a", "+"), OAuth1Parameter("b", "1"),
                OAuth1Parameter("c", ""), OAuth1Parameter("d", ""), OAuth1Parameter("", "e"),
                OAuth1Parameter("f", "x=y"),
            ])
    }

    @Test func parseFormOfEmptyStringIsEmpty() throws {
        #expect(try OAuth1PercentEncoding.parseForm("").isEmpty)
        #expect(try OAuth1PercentEncoding.parseForm("&&").isEmpty)
    }

    @Test func parseFormRejectsBadEscapes() {
        #expect(throws: OAuth1Error.self) { try OAuth1PercentEncoding.parseForm("a=%zz") }
    }

    @Test func formEncodeRoundTrips() throws {
        let parameters = [
            OAuth1Parameter("status", "Hello Ladies + Gentlemen!"), OAuth1Parameter("c@", ""),
            OAuth1Parameter("☃", "a&b=c"), OAuth1Parameter("status", "again"),
        ]
        let encoded = OAuth1PercentEncoding.formEncode(parameters)
        #expect(encoded == "status=Hello%20Ladies%20%2B%20Gentlemen%21&c%40=&%E2%98%83=a%26b%3Dc&status=again")
        #expect(try OAuth1PercentEncoding.parseForm(encoded) == parameters)
        #expect(OAuth1PercentEncoding.formEncode([]) == "")
    }
}
