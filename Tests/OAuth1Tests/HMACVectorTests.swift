import Foundation
import Testing

@testable import OAuth1

/// RFC 2202 (HMAC-SHA1) and RFC 4231 (HMAC-SHA256/512) test cases against the OpenSSL
/// wrapper the signature methods use.
@Suite(.inProcessTimeLimit) struct HMACVectorTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var key: [UInt8]
        var data: [UInt8]
        var sha1: String?
        var sha256: String?
        var sha512: String?
        var testDescription: String { name }
    }

    static let largeKeyData = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)

    static let vectors: [Vector] = [
        Vector(
            name: "case 1", key: [UInt8](repeating: 0x0B, count: 20), data: Array("Hi There".utf8),
            sha1: "b617318655057264e28bc0b6fb378c8ef146be00",
            sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            sha512:
                "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"
        ),
        Vector(
            name: "case 2 (Jefe)", key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
            sha1: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            sha512:
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        ),
        Vector(
            name: "case 3", key: [UInt8](repeating: 0xAA, count: 20), data: [UInt8](repeating: 0xDD, count: 50),
            sha1: "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            sha256: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            sha512:
                "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"
        ),
        Vector(
            name: "RFC 2202 case 6 (80-byte key)", key: [UInt8](repeating: 0xAA, count: 80), data: largeKeyData,
            sha1: "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        Vector(
            name: "RFC 4231 case 6 (131-byte key)", key: [UInt8](repeating: 0xAA, count: 131), data: largeKeyData,
            sha256: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            sha512:
                "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"
        ),
        Vector(
            name: "RFC 4231 case 7", key: [UInt8](repeating: 0xAA, count: 131),
            data: Array(
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
                    .utf8),
            sha256: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            sha512:
                "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"
        ),
    ]

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    @Test(arguments: vectors)
    func hmac(_ vector: Vector) throws {
        if let sha1 = vector.sha1 {
            #expect(Self.hex(try OpenSSLCrypto.hmac(.sha1, keyBytes: vector.key, messageBytes: vector.data)) == sha1)
        }
        if let sha256 = vector.sha256 {
            #expect(
                Self.hex(try OpenSSLCrypto.hmac(.sha256, keyBytes: vector.key, messageBytes: vector.data)) == sha256)
        }
        if let sha512 = vector.sha512 {
            #expect(
                Self.hex(try OpenSSLCrypto.hmac(.sha512, keyBytes: vector.key, messageBytes: vector.data)) == sha512)
        }
    }

    /// The string-keyed path the signature methods use gives the same MAC as the byte path.
    @Test func stringAndByteKeysAgree() throws {
        let viaString = try OpenSSLCrypto.hmac(.sha1, key: "Jefe", message: "what do ya want for nothing?")
        #expect(Self.hex(viaString) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    /// HMAC-SHA256/512 signature methods use `encode(cs)&encode(ts)` as the key.
    @Test func hmacSignatureMethodsUseTheRFCSigningKey() throws {
        let base = "GET&http%3A%2F%2Fexample.com%2F&a%3Db"
        for (method, digest) in [
            (SignatureMethod.hmacSHA1, OpenSSLDigest.sha1), (.hmacSHA256, .sha256), (.hmacSHA512, .sha512),
        ] {
            let expected = Data(try OpenSSLCrypto.hmac(digest, key: "c%20s&t%26s", message: base)).base64EncodedString()
            let signature = try method.sign(baseString: base, clientSecret: "c s", tokenSecret: "t&s")
            #expect(signature == expected)
            #expect(method.verify(signature: signature, baseString: base, clientSecret: "c s", tokenSecret: "t&s"))
        }
    }

    /// An empty secret and an empty message are valid HMAC inputs.
    @Test func emptyKeyAndMessage() throws {
        // HMAC-SHA1 with empty key and empty message, a well-known constant.
        #expect(
            Self.hex(try OpenSSLCrypto.hmac(.sha1, key: "", message: "")) == "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d")
    }
}
