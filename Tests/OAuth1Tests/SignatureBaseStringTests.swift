import Foundation
import OAuth1
import Testing

@Suite(.inProcessTimeLimit) struct SignatureBaseStringTests {
    @Test(arguments: [
        // RFC 5849 section 3.4.1.2 examples.
        ("HTTP://EXAMPLE.COM:80/r%20v/X?id=123", "http://example.com/r%20v/X"),
        ("https://www.example.net:8080/?q=1", "https://www.example.net:8080/"),
        // Default ports dropped, others kept, per scheme.
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("http://example.com:8080", "http://example.com:8080/"),
        // Empty path, fragment, user info, query.
        ("http://example.com", "http://example.com/"),
        ("http://example.com?x=1", "http://example.com/"),
        ("https://user:pw@Example.COM/p/q#frag", "https://example.com/p/q"),
        // Path bytes kept exactly, including case of escapes and a trailing slash.
        ("https://example.com/A%2fb/%E2%98%83/", "https://example.com/A%2fb/%E2%98%83/"),
        // IPv6 hosts stay in brackets.
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("https://[2001:DB8::1]/", "https://[2001:db8::1]/"),
        ("http://[::1]:80/", "http://[::1]/"),
        // An IDN host signs in its ASCII (punycode) form, as the HTTP client sends it.
        ("https://bücher.de/a", "https://xn--bcher-kva.de/a"),
        ("https://xn--bcher-kva.de/a", "https://xn--bcher-kva.de/a"),
        // An empty port is no port.
        ("http://example.com:/p", "http://example.com/p"),
    ])
    func baseStringURI(_ input: String, _ expected: String) throws {
        let url = try #require(URL(string: input))
        #expect(try SignatureBaseString.baseStringURI(url) == expected)
    }

    @Test(arguments: ["/relative/path", "mailto:someone@example.com"])
    func urlWithoutHostIsRejected(_ input: String) throws {
        let url = try #require(URL(string: input))
        let error = #expect(throws: OAuth1Error.self) { try SignatureBaseString.baseStringURI(url) }
        #expect(error?.code == .invalidRequest)
    }

    @Test func normalizationSortsByEncodedNameThenValueBytewise() {
        let parameters = [
            OAuth1Parameter("b", "2"), OAuth1Parameter("a", "z"), OAuth1Parameter("a", "Z"),
            OAuth1Parameter("a", ""), OAuth1Parameter("A", "1"), OAuth1Parameter("a_b", "1"),
            OAuth1Parameter("a-b", "1"), OAuth1Parameter("~", "x"), OAuth1Parameter("ab", "1"),
            OAuth1Parameter("a", "%"), OAuth1Parameter("a", " "),
        ]
        // Sorting happens on encoded bytes: "%" (0x25) < digits < uppercase < "_" < lowercase < "~".
        #expect(
            SignatureBaseString.normalizedParameters(parameters)
                == "A=1&a=&a=%20&a=%25&a=Z&a=z&a-b=1&a_b=1&ab=1&b=2&~=x")
    }

    @Test func normalizationKeepsDuplicatesAndEncodesUnicode() {
        let parameters = [OAuth1Parameter("q", "☃"), OAuth1Parameter("q", "☃"), OAuth1Parameter("é", "+")]
        #expect(SignatureBaseString.normalizedParameters(parameters) == "%C3%A9=%2B&q=%E2%98%83&q=%E2%98%83")
        #expect(SignatureBaseString.normalizedParameters([]) == "")
    }

    @Test func queryPlusIsSpaceAndEncodedPlusIsPlus() throws {
        let url = try #require(URL(string: "https://example.com/s?q=a+b&r=a%2Bb&s=a%20b"))
        let parameters = try SignatureBaseString.requestParameters(of: OAuth1HTTPRequest(url: url))
        #expect(parameters == [OAuth1Parameter("q", "a b"), OAuth1Parameter("r", "a+b"), OAuth1Parameter("s", "a b")])
        #expect(SignatureBaseString.normalizedParameters(parameters) == "q=a%20b&r=a%2Bb&s=a%20b")
    }

    @Test func bodyParametersOnlyForFormContentType() throws {
        let url = try #require(URL(string: "https://example.com/x?a=1"))
        var request = OAuth1HTTPRequest(method: "POST", url: url, body: Data("b=2".utf8))
        #expect(try SignatureBaseString.requestParameters(of: request) == [OAuth1Parameter("a", "1")])
        request.setHeader("content-type", "application/json")
        #expect(try SignatureBaseString.requestParameters(of: request) == [OAuth1Parameter("a", "1")])
        request.setHeader("Content-Type", "Application/X-WWW-Form-URLEncoded; charset=utf-8")
        #expect(
            try SignatureBaseString.requestParameters(of: request) == [
                OAuth1Parameter("a", "1"), OAuth1Parameter("b", "2"),
            ])
    }

    @Test func oauthSignatureIsExcludedButQueryRealmIsKept() throws {
        let url = try #require(URL(string: "https://example.com/x?oauth_signature=abc&realm=r&oauth_nonce=n"))
        let parameters = try SignatureBaseString.requestParameters(of: OAuth1HTTPRequest(url: url))
        #expect(parameters == [OAuth1Parameter("realm", "r"), OAuth1Parameter("oauth_nonce", "n")])
    }

    @Test func nonUTF8FormBodyIsRejected() throws {
        let request = OAuth1HTTPRequest(
            method: "POST", url: try #require(URL(string: "https://example.com/")),
            headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data([0x61, 0x3D, 0xFF]))
        let error = #expect(throws: OAuth1Error.self) { try SignatureBaseString.requestParameters(of: request) }
        #expect(error?.code == .invalidRequest)
    }

    @Test func makeUppercasesMethodAndIgnoresURLQuery() throws {
        let url = try #require(
            URL(string: "HTTPS://Example.com:443/a b".replacingOccurrences(of: " ", with: "%20") + "?ignored=1#f"))
        let base = try SignatureBaseString.make(method: "get", url: url, parameters: [OAuth1Parameter("x", "y z")])
        #expect(base == "GET&https%3A%2F%2Fexample.com%2Fa%2520b&x%3Dy%2520z")
    }
}
