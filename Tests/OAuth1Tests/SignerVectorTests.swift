import Foundation
import Testing

@testable import OAuth1

/// The signer against vectors computed outside this package: python3-oauthlib 3.2.2
/// (`signature.collect_parameters`, `normalize_parameters`, `base_string_uri`,
/// `signature_base_string`) with Python's `hmac` and `base64`, and RFC 5849's own examples.
/// `sign` and `signatureDetails` must both produce them.
@Suite(.inProcessTimeLimit) struct SignerVectorTests {
    /// The benchmark's request: three query and six form parameters plus the protocol ones.
    static let benchmarkURL = "https://api.example.com/1.1/statuses/update.json?include_entities=true&trim_user=1&tweet_mode=extended"
    static let benchmarkForm =
        "status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21&lat=37.7821120598956"
        + "&long=-122.400612831116&place_id=5a110d312052166f&display_coordinates=true&in_reply_to=1234567890"

    static func benchmarkRequest() throws -> OAuth1HTTPRequest {
        var request = OAuth1HTTPRequest(
            method: "POST", url: try #require(URL(string: benchmarkURL)), body: Data(benchmarkForm.utf8))
        request.setHeader("Content-Type", "application/x-www-form-urlencoded")
        return request
    }

    static func twitterSigner(_ method: SignatureMethod, realm: String? = nil) -> OAuth1Signer {
        OAuth1Signer(
            client: ClientCredentials(key: "xvz1evFS4wEEPTGEFPHBog", secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"),
            token: TokenCredentials(
                token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"),
            method: method, realm: realm, clock: .fixed(1_318_622_958),
            nonce: .fixed("kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"))
    }

    /// Checks `details` against a vector, and that `sign` sends the same header.
    static func expect(
        _ signer: OAuth1Signer, _ request: OAuth1HTTPRequest, extras: [OAuth1Parameter] = [],
        normalized: String? = nil, baseString: String, signature: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let details = try signer.signatureDetails(for: request, extraProtocolParameters: extras)
        if let normalized {
            #expect(details.normalizedParameters == normalized, sourceLocation: sourceLocation)
        }
        #expect(details.baseString == baseString, sourceLocation: sourceLocation)
        #expect(details.signature == signature, sourceLocation: sourceLocation)
        let header = try signer.sign(request, extraProtocolParameters: extras).header(named: "Authorization")
        #expect(header == details.authorizationHeader, sourceLocation: sourceLocation)
        #expect(
            header?.hasSuffix("oauth_signature=\"\(OAuth1PercentEncoding.encode(signature))\"") == true,
            sourceLocation: sourceLocation)
    }

    static func benchmarkBaseString(_ methodName: String) -> String {
        "POST&https%3A%2F%2Fapi.example.com%2F1.1%2Fstatuses%2Fupdate.json&display_coordinates%3Dtrue%26in_reply_to%3D1234567890%26include_entities%3Dtrue%26lat%3D37.7821120598956%26long%3D-122.400612831116%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3D\(methodName)%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26place_id%3D5a110d312052166f%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521%26trim_user%3D1%26tweet_mode%3Dextended"
    }

    @Test(arguments: [
        (SignatureMethod.hmacSHA1, "dFL9zVbeybx3APisrqx/+MUNyPg="),
        (.hmacSHA256, "sxdDDXwUE5OeZZFKPL+Gg5DbZEXw9fm4JkB9+ffj6jA="),
        (.hmacSHA512, "zFbp2hbedV7Ef1X12+Msx8SzhZo050Un/DeL/HoeXEOByWspUyallz09ZHys1D5xhxqKVGYO9wwRbxBQUsvnGQ=="),
    ])
    func benchmarkRequest(method: SignatureMethod, signature: String) throws {
        try Self.expect(
            Self.twitterSigner(method), try Self.benchmarkRequest(),
            normalized:
                "display_coordinates=true&in_reply_to=1234567890&include_entities=true&lat=37.7821120598956&long=-122.400612831116&oauth_consumer_key=xvz1evFS4wEEPTGEFPHBog&oauth_nonce=kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg&oauth_signature_method=\(method.name)&oauth_timestamp=1318622958&oauth_token=370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb&oauth_version=1.0&place_id=5a110d312052166f&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21&trim_user=1&tweet_mode=extended",
            baseString: Self.benchmarkBaseString(method.name), signature: signature)
    }

    /// RFC 5849 section 3.4.1's request (query with escapes, form body with `+` and a name
    /// without `=`), signed with the secrets of the section 3.4.4 PLAINTEXT example.
    @Test func rfcSection341Request() throws {
        var request = OAuth1HTTPRequest(
            method: "POST", url: try #require(URL(string: "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")),
            body: Data("c2&a3=2+q".utf8))
        request.setHeader("Content-Type", "application/x-www-form-urlencoded")
        func signer(_ method: SignatureMethod) -> OAuth1Signer {
            OAuth1Signer(
                client: ClientCredentials(key: "9djdj82h48djs9d2", secret: "j49sk3j29djd"),
                token: TokenCredentials(token: "kkk9d7dh3k39sjv7", secret: "dh893hdasih9"),
                method: method, realm: "Example", includeVersion: false, clock: .fixed(137_131_201),
                nonce: .fixed("7d8f3e4a"))
        }
        let baseString =
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
        try Self.expect(signer(.hmacSHA1), request, baseString: baseString, signature: "r6/TJjbCOr97/+UU0NsvSne7s5g=")
        let header = try #require(try signer(.hmacSHA1).sign(request).header(named: "Authorization"))
        #expect(header.hasPrefix("OAuth realm=\"Example\", oauth_consumer_key=\"9djdj82h48djs9d2\", "))

        // Section 3.4.4: PLAINTEXT's signature is the signing key, `&` encoded in the header.
        let plaintext = try signer(.plaintext).sign(request).header(named: "Authorization")
        #expect(plaintext?.hasSuffix("oauth_signature=\"j49sk3j29djd%26dh893hdasih9\"") == true)
    }

    /// Uppercase scheme and host, the default port, escapes in the path kept as written,
    /// a repeated name, `+` in the query, `oauth_signature` in the query, a fragment, and
    /// non-ASCII and reserved characters in keys, secrets and the nonce.
    @Test func unusualRequest() throws {
        let url = try #require(
            URL(string: "HTTP://EXAMPLE.COM:80/Path/%7Euser/caf%C3%A9?B=2&a=1&a=%E2%98%83&z=+x+&oauth_signature=ignored#frag"))
        let signer = OAuth1Signer(
            client: ClientCredentials(key: "k e+y", secret: "s€cret &"), token: TokenCredentials(token: "t☃", secret: "tok%en"),
            includeVersion: false, clock: .fixed(1), nonce: .fixed("n/=&"))
        try Self.expect(
            signer, OAuth1HTTPRequest(method: "get", url: url),
            normalized:
                "B=2&a=%E2%98%83&a=1&oauth_consumer_key=k%20e%2By&oauth_nonce=n%2F%3D%26&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1&oauth_token=t%E2%98%83&z=%20x%20",
            baseString:
                "GET&http%3A%2F%2Fexample.com%2FPath%2F%257Euser%2Fcaf%25C3%25A9&B%3D2%26a%3D%25E2%2598%2583%26a%3D1%26oauth_consumer_key%3Dk%2520e%252By%26oauth_nonce%3Dn%252F%253D%2526%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1%26oauth_token%3Dt%25E2%2598%2583%26z%3D%2520x%2520",
            signature: "eBFDOdJqf1qtN6AnXx4Kw7XFAsk=")
    }

    /// An IPv6 host with a port, `;` in the path, a name without `=`, and empty secrets.
    @Test func ipv6HostAndEmptySecrets() throws {
        let url = try #require(URL(string: "https://[2001:DB8::1]:8443/a;p=1/b?q=%2B%20+&r"))
        let signer = OAuth1Signer(
            client: ClientCredentials(key: "k e+y", secret: ""), token: TokenCredentials(token: "t☃", secret: ""),
            includeVersion: false, clock: .fixed(1), nonce: .fixed("n/=&"))
        try Self.expect(
            signer, OAuth1HTTPRequest(method: "DELETE", url: url),
            baseString:
                "DELETE&https%3A%2F%2F%5B2001%3Adb8%3A%3A1%5D%3A8443%2Fa%3Bp%3D1%2Fb&oauth_consumer_key%3Dk%2520e%252By%26oauth_nonce%3Dn%252F%253D%2526%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1%26oauth_token%3Dt%25E2%2598%2583%26q%3D%252B%2520%2520%26r%3D",
            signature: "I1W+4ew7Y/NNTheN2H3XlmISJnc=")
    }

    /// More pairs than the insertion sort takes, with repeated names: sorted by encoded
    /// name then encoded value, bytewise, every pair kept.
    @Test(arguments: [40, 300])
    func manyParametersSortBytewise(count: Int) throws {
        var pairs: [(name: String, value: String)] = []
        for index in 0..<count {
            // Scrambled order; names repeat; values need escaping (space, '%', non-ASCII).
            let scrambled = (index * 7919) % count
            pairs.append((name: "p\(scrambled % 17)", value: "v \(scrambled)%☃"))
        }
        let query = pairs.map { "\($0.name)=\(OAuth1PercentEncoding.encode($0.value))" }.joined(separator: "&")
        let url = try #require(URL(string: "https://example.com/p?" + query))
        let signer = OAuth1Signer(
            client: ClientCredentials(key: "key", secret: "secret"), includeVersion: false, clock: .fixed(7),
            nonce: .fixed("n"))
        let details = try signer.signatureDetails(for: OAuth1HTTPRequest(url: url))
        let encoded =
            pairs.map { (Array($0.name.utf8), Array(OAuth1PercentEncoding.encode($0.value).utf8)) }
            + details.protocolParameters.dropLast().map { (Array($0.name.utf8), Array($0.value.utf8)) }
        let sorted = encoded.sorted { a, b in
            a.0 != b.0 ? a.0.lexicographicallyPrecedes(b.0) : a.1.lexicographicallyPrecedes(b.1)
        }
        let expected = sorted.map { String(decoding: $0.0, as: UTF8.self) + "=" + String(decoding: $0.1, as: UTF8.self) }
            .joined(separator: "&")
        #expect(details.normalizedParameters == expected)
        #expect(details.requestParameters.count == count)
    }

    /// A realm with quotes and backslashes is escaped in the header and never signed.
    @Test func realmIsQuotedAndNotSigned() throws {
        let request = try Self.benchmarkRequest()
        let plain = try Self.twitterSigner(.hmacSHA1).signatureDetails(for: request)
        let withRealm = try Self.twitterSigner(.hmacSHA1, realm: #"Photos "x" \ y"#).signatureDetails(for: request)
        #expect(withRealm.signature == plain.signature)
        #expect(withRealm.authorizationHeader.hasPrefix(#"OAuth realm="Photos \"x\" \\ y", oauth_consumer_key="#))
        let control = Self.twitterSigner(.hmacSHA1, realm: "a\r\nb")
        #expect(throws: OAuth1Error.self) { try control.sign(request) }
    }

    /// A relative URL signs as its absolute form; an HTTP method outside ASCII is
    /// uppercased as text; a form body's byte-order mark is not part of the first name.
    @Test func urlMethodAndBodyForms() throws {
        let signer = Self.twitterSigner(.hmacSHA1)
        let base = try #require(URL(string: "https://Example.com/api/v1/"))
        let relative = try #require(URL(string: "items?b=2&a=1", relativeTo: base))
        let details = try signer.signatureDetails(for: OAuth1HTTPRequest(method: "GET", url: relative))
        #expect(details.baseString.hasPrefix("GET&https%3A%2F%2Fexample.com%2Fapi%2Fv1%2Fitems&a%3D1%26b%3D2%26oauth_"))

        let absolute = try #require(URL(string: "https://example.com/"))
        let strasse = try signer.signatureDetails(for: OAuth1HTTPRequest(method: "straße", url: absolute))
        #expect(strasse.baseString.hasPrefix("STRASSE&"))

        var marked = OAuth1HTTPRequest(method: "POST", url: absolute, body: Data([0xEF, 0xBB, 0xBF] + Array("a=1".utf8)))
        marked.setHeader("Content-Type", "application/x-www-form-urlencoded")
        var unmarked = marked
        unmarked.body = Data("a=1".utf8)
        #expect(try signer.signatureDetails(for: marked) == signer.signatureDetails(for: unmarked))
        #expect(try signer.sign(marked).header(named: "Authorization") == signer.sign(unmarked).header(named: "Authorization"))
    }

    /// Bad input: the typed error, a message naming the problem, never the query (which
    /// may carry credentials), and the same from `sign` as from `signatureDetails`.
    @Test func malformedRequestsAreRejected() throws {
        let form = "application/x-www-form-urlencoded"
        let cases: [(method: String, url: String, body: [UInt8]?, problem: String)] = [
            // URL(string:) escapes a stray '%' of a query itself; a form body keeps it.
            ("POST", "https://example.com/?secret=s3", Array("a=%zz".utf8), "malformed percent-encoding"),
            ("POST", "https://example.com/?secret=s3", Array("a=%".utf8), "malformed percent-encoding"),
            ("POST", "https://example.com/?secret=s3", Array("a=%4".utf8), "malformed percent-encoding"),
            ("GET", "https://example.com/?secret=s3&a=%E9", nil, "not valid UTF-8"),
            ("GET", "https://example.com/?secret=s3&a=%C3", nil, "not valid UTF-8"),
            ("POST", "https://example.com/?secret=s3", [0x61, 0x3D, 0xFF], "body is not valid UTF-8"),
            ("POST", "https://example.com/?secret=s3", Array("a=%C3%A9&b=%ED%A0%80".utf8), "not valid UTF-8"),
            ("POST", "https://example.com/?secret=s3", Array("%F4%90%80%80=x".utf8), "not valid UTF-8"),
            ("GET", "https://example.com:99999/?secret=s3", nil, "has an invalid port"),
            ("GET", "https://example.com:65536/?secret=s3", nil, "has an invalid port"),
            ("GET", "urn:isbn:123", nil, "is not an absolute http(s) URL"),
            ("GET", "/relative/path?secret=s3", nil, "is not an absolute http(s) URL"),
        ]
        let signer = Self.twitterSigner(.hmacSHA1)
        for (method, text, body, problem) in cases {
            let url = try #require(URL(string: text), "\(text)")
            var request = OAuth1HTTPRequest(method: method, url: url, body: body.map { Data($0) })
            if body != nil { request.setHeader("Content-Type", form) }
            for error in [
                #expect(throws: OAuth1Error.self, "\(text)") { try signer.sign(request) },
                #expect(throws: OAuth1Error.self, "\(text)") { try signer.signatureDetails(for: request) },
            ] {
                #expect(error?.code == .invalidRequest, "\(text)")
                #expect(error?.message.contains(problem) == true, "\(text): \(error?.message ?? "")")
                #expect(error?.message.contains("s3") == false, "\(text): \(error?.message ?? "")")
            }
        }
    }

    /// Signatures longer than the buffer's first size (RSA, a custom method) come out whole.
    @Test func longSignaturesGrowTheBuffer() throws {
        let url = try #require(URL(string: "https://e.x/"))
        let long = String(repeating: "s/", count: 20_000)
        let custom = SignatureMethod(name: "LONG", sign: { base, _, _ in long + base })
        let signer = OAuth1Signer(client: ClientCredentials(key: "k", secret: "s"), method: custom, clock: .fixed(1), nonce: .fixed("n"))
        let details = try signer.signatureDetails(for: OAuth1HTTPRequest(url: url))
        #expect(details.signature == long + details.baseString)
        let header = try #require(try signer.sign(OAuth1HTTPRequest(url: url)).header(named: "Authorization"))
        #expect(header.hasSuffix("oauth_signature=\"\(OAuth1PercentEncoding.encode(long + details.baseString))\""))

        let rsa = try SignatureMethod.rsaSHA1(privateKeyPEM: SignatureMethodTests.testCasesPrivateKeyPEM)
        let rsaSigner = OAuth1Signer(client: ClientCredentials(key: "k", secret: "s"), method: rsa, clock: .fixed(1), nonce: .fixed("n"))
        let signed = try rsaSigner.sign(OAuth1HTTPRequest(url: url))
        let received = try OAuth1ReceivedRequest(signed)
        #expect(received.verify(method: rsa, clientSecret: "", tokenSecret: ""))
    }
}

@Suite(.inProcessTimeLimit) struct SignerProviderTests {
    /// The system clock and random nonce (what applications use) verify at the provider.
    @Test func systemClockAndRandomNonceVerifyAtTheProvider() throws {
        let consumer = ClientCredentials(key: "conformance-consumer", secret: "consumer-secret-" + UUID().uuidString)
        let token = TokenCredentials(token: "t-" + UUID().uuidString, secret: "s-" + UUID().uuidString)
        for (url, tokenOrNil) in [
            ("https://provider.conformance.invalid/1/me?include=all", token),
            ("https://provider.conformance.invalid/oauth/request_token", nil),
        ] {
            let signer = OAuth1Signer(client: consumer, token: tokenOrNil)
            let request = OAuth1HTTPRequest(method: "POST", url: try #require(URL(string: url)))
            let signed = try signer.sign(request, extraProtocolParameters: [OAuth1Parameter("oauth_callback", "oob")])
            let received = try OAuth1ReceivedRequest(signed)
            #expect(
                received.verify(method: .hmacSHA1, clientSecret: consumer.secret, tokenSecret: tokenOrNil?.secret ?? ""),
                "\(signed.header(named: "Authorization") ?? "") base \(received.baseString)")
        }
    }
}
