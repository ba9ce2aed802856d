import Foundation
import OAuth1
import Testing

/// RSA-SHA1/256 through OpenSSL, user-defined methods, PLAINTEXT, body-hash digests.
@Suite(.inProcessTimeLimit) struct SignatureMethodTests {
    /// The published test-only key of the oauth.net wiki "TestCases" page (RSA-SHA1 section).
    /// It protects nothing; it is here so the published signature can be reproduced.
    static let testCasesPrivateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBALRiMLAh9iimur8V
        A7qVvdqxevEuUkW4K+2KdMXmnQbG9Aa7k7eBjK1S+0LYmVjPKlJGNXHDGuy5Fw/d
        7rjVJ0BLB+ubPK8iA/Tw3hLQgXMRRGRXXCn8ikfuQfjUS1uZSatdLB81mydBETlJ
        hI6GH4twrbDJCR2Bwy/XWXgqgGRzAgMBAAECgYBYWVtleUzavkbrPjy0T5FMou8H
        X9u2AC2ry8vD/l7cqedtwMPp9k7TubgNFo+NGvKsl2ynyprOZR1xjQ7WgrgVB+mm
        uScOM/5HVceFuGRDhYTCObE+y1kxRloNYXnx3ei1zbeYLPCHdhxRYW7T0qcynNmw
        rn05/KO2RLjgQNalsQJBANeA3Q4Nugqy4QBUCEC09SqylT2K9FrrItqL2QKc9v0Z
        zO2uwllCbg0dwpVuYPYXYvikNHHg+aCWF+VXsb9rpPsCQQDWR9TT4ORdzoj+Nccn
        qkMsDmzt0EfNaAOwHOmVJ2RVBspPcxt5iN4HI7HNeG6U5YsFBb+/GZbgfBT3kpNG
        WPTpAkBI+gFhjfJvRw38n3g/+UeAkwMI2TJQS4n8+hid0uus3/zOjDySH3XHCUno
        cn1xOJAyZODBo47E+67R4jV1/gzbAkEAklJaspRPXP877NssM5nAZMU0/O/NGCZ+
        3jPgDUno6WbJn5cqm8MqWhW1xGkImgRk+fkDBquiq4gPiT898jusgQJAd5Zrr6Q8
        AO/0isr/3aa6O6NLQxISLKcPDk2NOccAfS/xOtfOz4sJYM3+Bs4Io9+dZGSDCA54
        Lw03eHTNQghS0A==
        -----END PRIVATE KEY-----
        """

    static let testCasesPublicKeyPEM = """
        -----BEGIN PUBLIC KEY-----
        MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC0YjCwIfYoprq/FQO6lb3asXrx
        LlJFuCvtinTF5p0GxvQGu5O3gYytUvtC2JlYzypSRjVxwxrsuRcP3e641SdASwfr
        mzyvIgP08N4S0IFzEURkV1wp/IpH7kH41EtbmUmrXSwfNZsnQRE5SYSOhh+LcK2w
        yQkdgcMv11l4KoBkcwIDAQAB
        -----END PUBLIC KEY-----
        """

    static let testCasesCertificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBpjCCAQ+gAwIBAgIBATANBgkqhkiG9w0BAQUFADAZMRcwFQYDVQQDDA5UZXN0
        IFByaW5jaXBhbDAeFw03MDAxMDEwODAwMDBaFw0zODEyMzEwODAwMDBaMBkxFzAV
        BgNVBAMMDlRlc3QgUHJpbmNpcGFsMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKB
        gQC0YjCwIfYoprq/FQO6lb3asXrxLlJFuCvtinTF5p0GxvQGu5O3gYytUvtC2JlY
        zypSRjVxwxrsuRcP3e641SdASwfrmzyvIgP08N4S0IFzEURkV1wp/IpH7kH41Etb
        mUmrXSwfNZsnQRE5SYSOhh+LcK2wyQkdgcMv11l4KoBkcwIDAQABMA0GCSqGSIb3
        DQEBBQUAA4GBAGZLPEuJ5SiJ2ryq+CmEGOXfvlTtEL2nuGtr9PewxkgnOjZpUy+d
        4TvuXJbNQc8f4AMWL/tO9w0Fk80rWKp9ea8/df4qMq5qlFWlx6yOLQxumNOmECKb
        WpkUQDIDJEoFUzKMVuJf4KO/FJ345+BNLGgbJ6WujreoM1X/gYfdnJ/J
        -----END CERTIFICATE-----
        """

    static let testCasesSignature =
        "jvTp/wX1TYtByB1m+Pbyo0lnCOLIsyGCH7wke8AUs3BpnwZJtAuEJkvQL2/9n4s5wUmUl4aCI4BwpraNx4RtEXMe5qg5T1LVTGliMRpKasKsW//e+RinhejgCuzoH26dyF8iY2ZZ/5D1ilgeijhV/vBka5twt399mXwaYdCwFYE="

    /// The wiki's RSA-SHA1 request (note its "vacaction" spelling), signed end to end.
    @Test func rsaSHA1PublishedVector() throws {
        let method = try SignatureMethod.rsaSHA1(privateKeyPEM: Self.testCasesPrivateKeyPEM)
        #expect(method.name == "RSA-SHA1")
        let signer = OAuth1Signer(
            client: ClientCredentials(key: "dpf43f3p2l4k3l03", secret: "kd94hf93k423kf44"), method: method,
            clock: .fixed(1_196_666_512), nonce: .fixed("13917289812797014437"))
        let url = try #require(URL(string: "http://photos.example.net/photos?file=vacaction.jpg&size=original"))
        let details = try signer.signatureDetails(for: OAuth1HTTPRequest(method: "GET", url: url))
        #expect(
            details.baseString
                == "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacaction.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3D13917289812797014437%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1196666512%26oauth_version%3D1.0%26size%3Doriginal"
        )
        #expect(details.signature == Self.testCasesSignature)
    }

    @Test(arguments: [testCasesPublicKeyPEM, testCasesCertificatePEM])
    func rsaSHA1VerifierAcceptsPublishedSignature(publicPEM: String) throws {
        let verifier = try SignatureMethod.rsaSHA1Verifier(publicKeyPEM: publicPEM)
        let base =
            "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacaction.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3D13917289812797014437%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1196666512%26oauth_version%3D1.0%26size%3Doriginal"
        #expect(
            verifier.verify(signature: Self.testCasesSignature, baseString: base, clientSecret: "", tokenSecret: ""))
        #expect(
            !verifier.verify(
                signature: Self.testCasesSignature, baseString: base + "&", clientSecret: "", tokenSecret: ""))
        #expect(!verifier.verify(signature: "not base64!", baseString: base, clientSecret: "", tokenSecret: ""))
        // A verifier holds no private key: it cannot sign.
        let error = try #require(throws: OAuth1Error.self) {
            try verifier.sign(baseString: base, clientSecret: "", tokenSecret: "")
        }
        #expect(error.code == .invalidKey)
    }

    @Test func rsaSHA256RoundTrip() throws {
        let signer = try SignatureMethod.rsaSHA256(privateKeyPEM: Self.testCasesPrivateKeyPEM)
        let verifier = try SignatureMethod.rsaSHA256Verifier(publicKeyPEM: Self.testCasesPublicKeyPEM)
        #expect(signer.name == "RSA-SHA256")
        #expect(signer.bodyHash == .sha256)
        let base = "POST&https%3A%2F%2Fapi.example.com%2Fv1&a%3D1"
        let signature = try signer.sign(baseString: base, clientSecret: "", tokenSecret: "")
        #expect(Data(base64Encoded: signature)?.count == 128)  // 1024-bit key
        #expect(verifier.verify(signature: signature, baseString: base, clientSecret: "", tokenSecret: ""))
        #expect(signer.verify(signature: signature, baseString: base, clientSecret: "", tokenSecret: ""))
        // An RSA-SHA1 signature is not an RSA-SHA256 signature.
        let sha1Signature = try SignatureMethod.rsaSHA1(privateKeyPEM: Self.testCasesPrivateKeyPEM)
            .sign(baseString: base, clientSecret: "", tokenSecret: "")
        #expect(!verifier.verify(signature: sha1Signature, baseString: base, clientSecret: "", tokenSecret: ""))
    }

    @Test(arguments: [
        "", "not a pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        String(testCasesPrivateKeyPEM.dropLast(40)),
    ])
    func invalidPrivateKeyIsInvalidKey(pem: String) throws {
        let error = try #require(throws: OAuth1Error.self) { try SignatureMethod.rsaSHA1(privateKeyPEM: pem) }
        #expect(error.code == .invalidKey)
        #expect(!String(reflecting: error).contains("MIICdgIBADAN"))
    }

    @Test func publicKeyIsNotAPrivateKey() throws {
        let error = try #require(throws: OAuth1Error.self) {
            try SignatureMethod.rsaSHA256(privateKeyPEM: Self.testCasesPublicKeyPEM)
        }
        #expect(error.code == .invalidKey)
        let reverse = try #require(throws: OAuth1Error.self) {
            try SignatureMethod.rsaSHA1Verifier(
                publicKeyPEM: "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----")
        }
        #expect(reverse.code == .invalidKey)
    }

    /// An encrypted key must fail with a typed error, never prompt for a passphrase.
    @Test func encryptedPrivateKeyIsRejectedWithoutPrompting() throws {
        // A throwaway 512-bit key encrypted with the passphrase "test-only"; it protects nothing.
        let encrypted = """
            -----BEGIN ENCRYPTED PRIVATE KEY-----
            MIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQITG4e2WFTOpcCAggA
            MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAECBBBX7lskT4xYFxZDPd1Mfd9tBIIB
            YMH5rffImu62JATES5VZoVtN2wjHoM5wq5yCCl3DgskgkX7HdoPMLBmnXNENNtDw
            QFCsIGJe9pmYUQVywyyAg+QiFCVKss9BQv7I7OWYfW9Oy0jB1FEiLXhyupvz5Ck8
            c2kdwXEEeqm4oQctO4c/YXbS27vsbeeosvL45y6GmrZ2DF7Mmgm1bRZnts/1eiZW
            1v4qH7H54+c4D5MI1Nn0TP0FL++nmEajCG1+12Ok4RxGZotlcZ1dBuD71ebt34aU
            I8NuJv/dqOaVUA9fiGnDg8Uoax6hVM/5h4j+4fN8kHBSeNVF3vXalfkGgxubIHhC
            WRyTf2IDamYui42VaP+XMyEtyEqe4c4FHWIKUZ8tCikU4mJz02iUiqbpUujKD8x2
            YnYWV/Q6Yar8q7Z9ozfGSLkaBbsPab7G4bJzVltchn4SFd2VeJ2vO1wvEf3hivkS
            JmCdMNFo9Nu8rHZrRXlHR3A=
            -----END ENCRYPTED PRIVATE KEY-----
            """
        let error = try #require(throws: OAuth1Error.self) { try SignatureMethod.rsaSHA1(privateKeyPEM: encrypted) }
        #expect(error.code == .invalidKey)
    }

    @Test func plaintextSignatureIsTheEncodedSecrets() throws {
        let signature = try SignatureMethod.plaintext.sign(baseString: "ignored", clientSecret: "c&s", tokenSecret: "")
        #expect(signature == "c%26s&")
        #expect(
            SignatureMethod.plaintext.verify(signature: "c%26s&", baseString: "x", clientSecret: "c&s", tokenSecret: "")
        )
        #expect(
            !SignatureMethod.plaintext.verify(
                signature: "c%26s&x", baseString: "x", clientSecret: "c&s", tokenSecret: ""))
        #expect(SignatureMethod.plaintext.bodyHash == nil)
    }

    @Test func userDefinedMethodSignsAndVerifies() throws {
        let reversed = SignatureMethod(name: "X-REVERSE") { base, clientSecret, _ in
            String((clientSecret + base).reversed())
        }
        #expect(reversed.name == "X-REVERSE")
        #expect(reversed.bodyHash == nil)
        let signature = try reversed.sign(baseString: "abc", clientSecret: "k", tokenSecret: "")
        #expect(signature == "cbak")
        #expect(reversed.verify(signature: "cbak", baseString: "abc", clientSecret: "k", tokenSecret: ""))
        #expect(!reversed.verify(signature: "cbaK", baseString: "abc", clientSecret: "k", tokenSecret: ""))

        let signer = OAuth1Signer(
            client: ClientCredentials(key: "ck", secret: "k"), method: reversed, clock: .fixed(1), nonce: .fixed("n"))
        let details = try signer.signatureDetails(
            for: OAuth1HTTPRequest(url: try #require(URL(string: "https://example.com/"))))
        #expect(details.protocolParameters.first(named: "oauth_signature_method") == "X-REVERSE")
        #expect(details.signature == String(("k" + details.baseString).reversed()))
    }

    @Test func bodyHashDigestsPerMethod() throws {
        #expect(SignatureMethod.hmacSHA1.bodyHash == .sha1)
        #expect(SignatureMethod.hmacSHA256.bodyHash == .sha256)
        #expect(SignatureMethod.hmacSHA512.bodyHash == .sha512)
        #expect(try SignatureMethod.rsaSHA1(privateKeyPEM: Self.testCasesPrivateKeyPEM).bodyHash == .sha1)
        // Known digests of "Hello World!" (body hash draft example) and of the empty body.
        #expect(try BodyHashAlgorithm.sha1.hash(Data("Hello World!".utf8)) == "Lve95gjOVATpfV8EL5X4nxwjKHE=")
        #expect(try BodyHashAlgorithm.sha1.hash(Data()) == "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")
        #expect(try BodyHashAlgorithm.sha256.hash(Data()) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        #expect(
            try BodyHashAlgorithm.sha512.hash(Data())
                == "z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==")
    }

    @Test func namedLookup() {
        #expect(SignatureMethod.named("hmac-sha256")?.name == "HMAC-SHA256")
        #expect(SignatureMethod.named("PLAINTEXT")?.name == "PLAINTEXT")
        #expect(SignatureMethod.named("RSA-SHA1") == nil)
        #expect(SignatureMethod.named("MD5") == nil)
    }

    @Test func descriptionNeverShowsKeyMaterial() throws {
        let method = try SignatureMethod.rsaSHA1(privateKeyPEM: Self.testCasesPrivateKeyPEM)
        for text in [String(describing: method), String(reflecting: method), dumped(method)] {
            #expect(!text.contains("MIIC"))
            #expect(text.contains("RSA-SHA1"))
        }
    }
}

func dumped(_ value: some Any) -> String {
    var text = ""
    dump(value, to: &text)
    return text
}

extension SignatureMethodTests {
    @Test func oversizedPEMIsRejectedBeforeOpenSSL() {
        let huge = String(repeating: "A", count: (1 << 20) + 1)
        let error = #expect(throws: OAuth1Error.self) { try SignatureMethod.rsaSHA1(privateKeyPEM: huge) }
        #expect(error?.code == .invalidKey)
    }
}
