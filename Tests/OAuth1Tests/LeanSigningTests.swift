import Foundation
import Testing

@testable import OAuth1

/// `OAuth1Signer.sign` takes a lean byte-buffer path for the Authorization header; the
/// explain path (`signatureDetails`) builds every part as strings. These tests sign many
/// randomized requests both ways and require byte-identical results and identical errors.
@Suite(.inProcessTimeLimit) struct LeanSigningTests {
    /// SplitMix64: seeded, so a failure names the case that reproduces it.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    /// Characters that stress encoding: unreserved, reserved, form syntax, multi-byte UTF-8.
    static let alphabet: [String] = [
        "a", "Z", "0", "9", "-", ".", "_", "~", " ", "+", "%", "&", "=", "?", "#", "/", ":", "@", "!", "*", "'",
        "(", ")", ";", ",", "$", "[", "]", "\"", "\\", "é", "ß", "☃", "日本", "🎉", "\u{0301}", "\u{212A}", "A",
        "oauth_", "\t",
    ]

    static func randomText(_ random: inout Random, maxLength: Int) -> String {
        var text = ""
        for _ in 0..<random.below(maxLength + 1) { text += random.pick(alphabet) }
        return text
    }

    /// Encodes for a query or form the way clients do (sometimes `+` for a space, sometimes
    /// lowercase hex, sometimes a safe character left raw).
    static func formComponent(_ text: String, _ random: inout Random) -> String {
        var out = ""
        let plusForSpace = random.chance(50)
        let lowercaseHex = random.chance(30)
        for byte in text.utf8 {
            if OAuth1PercentEncoding.isUnreserved(byte) && random.chance(90) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else if byte == UInt8(ascii: " ") && plusForSpace {
                out += "+"
            } else {
                let hex = String(byte, radix: 16, uppercase: !lowercaseHex)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    static func randomPairs(_ random: inout Random, count: Int, names: [String]) -> String {
        var segments: [String] = []
        for _ in 0..<count {
            let name = random.chance(40) ? random.pick(names) : randomText(&random, maxLength: 6)
            switch random.below(10) {
            case 0: segments.append(formComponent(name, &random))  // no '='
            case 1: segments.append(formComponent(name, &random) + "=")  // empty value
            case 2: segments.append("")  // empty segment ("&&")
            default:
                segments.append(
                    formComponent(name, &random) + "=" + formComponent(randomText(&random, maxLength: 12), &random))
            }
        }
        return segments.joined(separator: "&")
    }

    static let hosts = [
        "api.example.com", "API.Example.COM", "example.com:8080", "example.com:80", "example.com:443",
        "user:pw@example.com", "[::1]", "[2001:DB8::1]:8443", "127.0.0.1:0080", "xn--bcher-kva.example",
    ]
    static let paths = ["", "/", "/1.1/statuses/update.json", "/a%20b/c", "/caf%C3%A9/%7Euser", "/a;p=1/b"]
    static let httpMethods = ["GET", "POST", "put", "Delete", "PATCH"]
    static let sharedNames = ["a", "a3", "oauth_signature", "oauth_token", "realm", "c@", "b5", "oauth_nonce"]

    static func signatureMethods() throws -> [SignatureMethod] {
        [
            .hmacSHA1, .hmacSHA256, .hmacSHA512, .plaintext,
            try .rsaSHA1(privateKeyPEM: SignatureMethodTests.testCasesPrivateKeyPEM),
            SignatureMethod(name: "CUSTOM-REVERSED", sign: { baseString, _, _ in String(baseString.reversed()) }),
        ]
    }

    /// One randomized signing case: a request and a signer.
    static func randomCase(_ random: inout Random, methods: [SignatureMethod]) -> (OAuth1HTTPRequest, OAuth1Signer)? {
        var urlText = random.pick(["https", "http", "HTTPS"]) + "://" + random.pick(hosts) + random.pick(paths)
        if random.chance(70) {
            urlText += "?" + randomPairs(&random, count: random.below(6), names: sharedNames)
        }
        if random.chance(15) { urlText += "#frag?x=1" }
        guard let url = URL(string: urlText) else { return nil }
        var request = OAuth1HTTPRequest(method: random.pick(Self.httpMethods), url: url)
        switch random.below(5) {
        case 0, 1:
            request.body = Data(randomPairs(&random, count: random.below(8), names: sharedNames).utf8)
            request.setHeader(
                random.pick(["Content-Type", "content-type"]),
                random.pick([
                    "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
                    " Application/X-WWW-Form-Urlencoded ",
                ]))
        case 2:
            request.body = Data("{\"status\":\"héllo ☃\"}".utf8)
            request.setHeader("Content-Type", "application/json")
        case 3:
            request.body = random.chance(50) ? Data() : nil
        default:
            break
        }
        let token: TokenCredentials? =
            random.chance(80)
            ? TokenCredentials(token: randomText(&random, maxLength: 10), secret: randomText(&random, maxLength: 10))
            : nil
        let signer = OAuth1Signer(
            client: ClientCredentials(key: randomText(&random, maxLength: 10), secret: randomText(&random, maxLength: 10)),
            token: token,
            method: random.pick(methods),
            realm: random.chance(30) ? randomText(&random, maxLength: 8) : nil,
            includeBodyHash: random.chance(80),
            includeVersion: random.chance(70),
            clock: .fixed(Int64(random.below(2_000_000_000))),
            nonce: .fixed(randomText(&random, maxLength: 12)))
        return (request, signer)
    }

    /// Signs `request` both ways: the same header, or the same error.
    static func expectSameResult(
        _ signer: OAuth1Signer, _ request: OAuth1HTTPRequest, extras: [OAuth1Parameter] = [],
        caseName: String
    ) -> Bool {
        let lean = Result { try signer.sign(request, extraProtocolParameters: extras) }
        let detailed = Result { try signer.signatureDetails(for: request, extraProtocolParameters: extras) }
        switch (lean, detailed) {
        case (.success(let signed), .success(let details)):
            var expected = request
            expected.setHeader("Authorization", details.authorizationHeader)
            #expect(signed == expected, "\(caseName): \(request)")
            #expect(signed.header(named: "Authorization") == details.authorizationHeader, "\(caseName)")
            return signed == expected
        case (.failure(let leanError), .failure(let detailedError)):
            #expect(String(describing: leanError) == String(describing: detailedError), "\(caseName)")
            return String(describing: leanError) == String(describing: detailedError)
        default:
            Issue.record("\(caseName): lean \(lean), detailed \(detailed) for \(request)")
            return false
        }
    }

    @Test func randomizedRequestsSignIdenticallyOnBothPaths() throws {
        let methods = try Self.signatureMethods()
        var random = Random(state: 0x5EED_0A07_1234_5678)
        var compared = 0
        var leanTaken = 0
        var failures = 0
        for index in 0..<3000 {
            guard let (request, signer) = Self.randomCase(&random, methods: methods) else { continue }
            var extras: [OAuth1Parameter] = []
            if random.chance(20) {
                extras.append(OAuth1Parameter("oauth_callback", Self.randomText(&random, maxLength: 10)))
            }
            if random.chance(10) { extras.append(OAuth1Parameter("oauth_verifier", "v+1 2")) }
            if random.chance(5) { extras.append(OAuth1Parameter("oauth_signature", "ignored")) }
            if random.chance(5) { extras.append(OAuth1Parameter("oauth_nonce", "replaced")) }
            if random.chance(5) { extras.append(OAuth1Parameter("oauth_body_hash", "given")) }
            compared += 1
            if (try? signer.leanAuthorizationHeader(
                for: request, extraProtocolParameters: extras, hasFormBody: request.hasFormBody)) ?? nil != nil
            {
                leanTaken += 1
            }
            if !Self.expectSameResult(signer, request, extras: extras, caseName: "case \(index)") {
                failures += 1
                if failures > 5 { break }
            }
        }
        #expect(compared > 2500)
        // The lean path must actually run for ordinary requests, not fall back every time.
        #expect(leanTaken > compared / 2, "lean path taken \(leanTaken) of \(compared)")
    }

    @Test func unusualInputsFallBackOrMatch() throws {
        let signer = OAuth1Signer(
            client: ClientCredentials(key: "key", secret: "secret"),
            token: TokenCredentials(token: "token", secret: "token secret"),
            clock: .fixed(1), nonce: .fixed("n"))
        let form = "application/x-www-form-urlencoded"
        let cases: [(String, String, String?, Data?)] = [
            ("GET", "https://example.com/?a=%zz", nil, nil),  // malformed escape
            ("GET", "https://example.com/?a=%E9", nil, nil),  // decodes to invalid UTF-8
            ("GET", "https://example.com/?a=%C3", nil, nil),  // truncated UTF-8 sequence
            ("GET", "https://example.com/?a=%", nil, nil),  // truncated escape
            ("POST", "https://example.com/", form, Data([0xEF, 0xBB, 0xBF] + Array("a=1".utf8))),  // BOM
            ("POST", "https://example.com/", form, Data([0x61, 0x3D, 0xFF])),  // invalid UTF-8 body
            ("POST", "https://example.com/", form, Data("a=%C3%A9&b=%ED%A0%80".utf8)),  // surrogate
            ("POST", "https://example.com/", form, Data("a=\u{1F389}&%F4%90%80%80=x".utf8)),  // > U+10FFFF
            ("POST", "https://example.com/", form, Data("a=%F0%9F%8E%89&b=%e2%98%83".utf8)),  // valid escapes
            ("pöst", "https://example.com/", nil, nil),  // non-ASCII method
            ("straße", "https://example.com/", nil, nil),
            ("GET", "https://example.com:+80/", nil, nil),
            ("GET", "https://example.com:99999/", nil, nil),
            ("GET", "https://example.com:/x", nil, nil),
            ("GET", "https://[::1/x", nil, nil),
            ("GET", "urn:isbn:123", nil, nil),
            ("GET", "https://example.com/?oauth_signature=abc&oauth_signature&a", nil, nil),
            ("GET", "HTTP://EXAMPLE.COM:80/Path?B=2&a=1#x", nil, nil),
        ]
        // Relative URLs resolve against their base; Unicode hosts and paths are encoded by URL.
        var requests: [OAuth1HTTPRequest] = []
        if let base = URL(string: "https://Example.com/api/v1/"), let relative = URL(string: "items?b=2&a=1", relativeTo: base) {
            requests.append(OAuth1HTTPRequest(method: "GET", url: relative))
        }
        for text in ["https://bücher.example/straße?q=ä ö", "https://example.com/a b?x=1 2&y=%2B+"] {
            if let url = URL(string: text) { requests.append(OAuth1HTTPRequest(method: "GET", url: url)) }
        }
        for (index, request) in requests.enumerated() {
            #expect(Self.expectSameResult(signer, request, caseName: "URL \(index)"))
        }
        for (index, (method, urlText, contentType, body)) in cases.enumerated() {
            guard let url = URL(string: urlText) else { continue }
            var request = OAuth1HTTPRequest(method: method, url: url, body: body)
            if let contentType { request.setHeader("Content-Type", contentType) }
            #expect(Self.expectSameResult(signer, request, caseName: "unusual \(index)"))
        }
    }

    /// Requests past the writer's stack buffer (it moves to the heap) and past the
    /// insertion-sort cutoff (many pairs) still match.
    @Test func largeRequestsMatch() throws {
        var random = Random(state: 42)
        let signer = OAuth1Signer(
            client: ClientCredentials(key: "key", secret: "s€cret"), token: TokenCredentials(token: "t", secret: "ts"),
            realm: "r", clock: .fixed(7), nonce: .fixed("n"))
        for pairs in [40, 300] {
            let url = try #require(
                URL(string: "https://example.com/p?" + Self.randomPairs(&random, count: pairs, names: Self.sharedNames)))
            var request = OAuth1HTTPRequest(
                method: "POST", url: url,
                body: Data(("big=" + Self.formComponent(String(repeating: "☃ &x", count: 3000), &random)).utf8))
            request.setHeader("Content-Type", "application/x-www-form-urlencoded")
            let lean = try signer.leanAuthorizationHeader(
                for: request, extraProtocolParameters: [], hasFormBody: request.hasFormBody)
            #expect(lean != nil)
            #expect(Self.expectSameResult(signer, request, caseName: "\(pairs) pairs"))
        }
    }

    @Test func benchmarkShapedRequestTakesTheLeanPath() throws {
        let url = try #require(
            URL(string: "https://api.example.com/1.1/statuses/update.json?include_entities=true&trim_user=1"))
        var request = OAuth1HTTPRequest(
            method: "POST", url: url, body: Data("status=Hello%20Ladies%20%2B%20Gentlemen&lat=37.78".utf8))
        request.setHeader("Content-Type", "application/x-www-form-urlencoded")
        for method in try Self.signatureMethods() {
            let signer = OAuth1Signer(
                client: ClientCredentials(key: "xvz1evFS4wEEPTGEFPHBog", secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"),
                token: TokenCredentials(token: "370773112-GmHx", secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"),
                method: method, realm: "Photos \"x\"", clock: .fixed(1_318_622_958), nonce: .fixed("kYjzVBB8Y0ZF"))
            let lean = try signer.leanAuthorizationHeader(
                for: request, extraProtocolParameters: [], hasFormBody: request.hasFormBody)
            let detailed = try signer.signatureDetails(for: request).authorizationHeader
            #expect(lean == detailed, "\(method.name)")
        }
    }
}

@Suite(.inProcessTimeLimit) struct LeanSigningProviderTests {
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
