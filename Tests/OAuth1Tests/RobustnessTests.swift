import Foundation
import OAuth1
import Testing

/// Hostile input never crashes: every parser either succeeds or throws ``OAuth1Error``;
/// signing is safe to share across tasks.
@Suite(.inProcessTimeLimit) struct RobustnessTests {
    /// A small deterministic generator (SplitMix64) so failures are reproducible.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet: [String] = [
        "OAuth", " ", ",", "=", "\"", "\\", "%", "%2", "%41", "%zz", "+", "&", "a", "oauth_nonce", "realm", "\t",
        "\r\n", "☃", "\u{0}", "\u{7F}", "%C3", "%FF", "oauth_signature", ";",
    ]

    static func randomInputs(count: Int, seed: UInt64) -> [String] {
        var generator = SplitMix(state: seed)
        return (0..<count).map { _ in
            let length = Int.random(in: 0...12, using: &generator)
            return (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? "" }.joined()
        }
    }

    @Test func parsersNeverCrashOnRandomInput() {
        var parsed = 0
        for input in Self.randomInputs(count: 3000, seed: 42) {
            for attempt in [
                { _ = try OAuth1AuthorizationHeader.parse(input) },
                { _ = try OAuth1AuthorizationHeader.parse("OAuth " + input) },
                { _ = try OAuth1PercentEncoding.parseForm(input) },
                { _ = try OAuth1PercentEncoding.decode(input) },
            ] as [() throws -> Void] {
                do {
                    try attempt()
                    parsed += 1
                } catch let error as OAuth1Error {
                    #expect(error.code == .invalidRequest)
                } catch {
                    Issue.record("unexpected error type: \(error)")
                }
            }
        }
        #expect(parsed > 0)
    }

    @Test func receivedRequestNeverCrashesOnRandomHeaders() throws {
        let url = try #require(URL(string: "https://api.example.com/x?a=1"))
        for input in Self.randomInputs(count: 1000, seed: 7) {
            var request = OAuth1HTTPRequest(method: "POST", url: url, body: Data(input.utf8))
            request.setHeader("Authorization", "OAuth " + input)
            request.setHeader("Content-Type", "application/x-www-form-urlencoded")
            do {
                let received = try OAuth1ReceivedRequest(request)
                #expect(!received.verify(method: .hmacSHA1, clientSecret: "s", tokenSecret: ""))
            } catch let error as OAuth1Error {
                #expect(error.code == .invalidRequest)
            }
        }
    }

    @Test func concurrentSigningWithSharedMethods() async throws {
        let rsa = try SignatureMethod.rsaSHA256(privateKeyPEM: SignatureMethodTests.testCasesPrivateKeyPEM)
        let verifier = try SignatureMethod.rsaSHA256Verifier(publicKeyPEM: SignatureMethodTests.testCasesPublicKeyPEM)
        let url = try #require(URL(string: "https://api.example.com/items?page=2"))
        let failures = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var failures = 0
                    for index in 0..<40 {
                        let useRSA = (task + index).isMultiple(of: 2)
                        let signer = OAuth1Signer(
                            client: ClientCredentials(key: "ck", secret: "cs"),
                            token: TokenCredentials(token: "t\(task)", secret: "ts"), method: useRSA ? rsa : .hmacSHA1)
                        guard let signed = try? signer.sign(OAuth1HTTPRequest(url: url)),
                            let received = try? OAuth1ReceivedRequest(signed),
                            received.verify(
                                method: useRSA ? verifier : .hmacSHA1, clientSecret: "cs", tokenSecret: "ts")
                        else {
                            failures += 1
                            continue
                        }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
    }
}
