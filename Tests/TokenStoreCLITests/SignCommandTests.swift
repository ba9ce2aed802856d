import ArgumentParser
import Foundation
import Testing
@testable import TokenStoreCLI

@Suite(.serverTimeLimit) struct SignCommandTests {
    static let consumerSecret = "kd94hf93k423kf44"

    static let leg1 = [
        "sign", "--method", "POST", "--url", "https://photos.example.net/initiate",
        "--consumer-key", "dpf43f3p2l4k3l03", "--consumer-secret", consumerSecret,
        "--nonce", "wIjqoS", "--timestamp", "137131200", "--callback", "http://printer.example.com/ready",
        "--realm", "Photos", "--omit-version",
    ]
    static let leg2 = [
        "sign", "--method", "POST", "--url", "https://photos.example.net/token",
        "--consumer-key", "dpf43f3p2l4k3l03", "--consumer-secret", consumerSecret,
        "--token", "hh5s93j4hdidpola", "--token-secret", "hdhd0244k9j7ao03",
        "--nonce", "walatlh", "--timestamp", "137131201", "--verifier", "hfdp7dh39dks9884", "--omit-version",
    ]
    static let leg3 = [
        "sign", "--url", "http://photos.example.net/photos?file=vacation.jpg&size=original",
        "--consumer-key", "dpf43f3p2l4k3l03", "--token", "nnch734d00sl2jdk",
        "--nonce", "chapoH", "--timestamp", "137131202", "--omit-version", "--json",
    ]

    /// Parses `arguments` as the real binary would and returns the command's output.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let command = try TokenStoreCommand.parseAsRoot(arguments)
        let sign = try #require(command as? SignCommand)
        return try sign.output(environment: environment)
    }

    static func jsonObject(_ text: String) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: String])
    }

    @Test func temporaryCredentialsLegPrintsLabelledSections() throws {
        let output = try Self.run(Self.leg1)
        #expect(
            output.contains(
                "Normalized parameters:\n  oauth_callback=http%3A%2F%2Fprinter.example.com%2Fready&oauth_consumer_key=dpf43f3p2l4k3l03&oauth_nonce=wIjqoS&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131200\n"
            ))
        #expect(
            output.contains(
                "Signature base string:\n  POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A%252F%252Fprinter.example.com%252Fready%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131200\n"
            ))
        #expect(output.contains("Signature (HMAC-SHA1):\n  74KNZJeDHnMBp0EMJ9ZHt/XKycU=\n"))
        #expect(output.contains("Authorization: OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\""))
        #expect(output.contains("oauth_signature=\"74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D\""))
        #expect(!output.contains(Self.consumerSecret))
    }

    @Test func tokenLegAsJSON() throws {
        let json = try Self.jsonObject(try Self.run(Self.leg2 + ["--json"]))
        #expect(Set(json.keys) == ["normalized_parameters", "base_string", "signature", "authorization"])
        #expect(json["signature"] == "gKgrFCywp7rO0OXSjdot/IHF7IU=")
        #expect(
            json["authorization"]?.hasPrefix(
                "OAuth oauth_consumer_key=\"dpf43f3p2l4k3l03\", oauth_token=\"hh5s93j4hdidpola\"") == true)
        #expect(json["normalized_parameters"]?.contains("oauth_verifier=hfdp7dh39dks9884") == true)
        let text = json.values.joined()
        #expect(!text.contains(Self.consumerSecret) && !text.contains("hdhd0244k9j7ao03"))
    }

    @Test func protectedResourceLegWithSecretsFromEnvironment() throws {
        let json = try Self.jsonObject(
            try Self.run(
                Self.leg3,
                environment: [
                    SignCommand.consumerSecretVariable: Self.consumerSecret,
                    SignCommand.tokenSecretVariable: "pfkkdhi9sl3r4s00",
                ]))
        #expect(json["signature"] == "MdpQcU8iPSUjWoN/UDMsK2sui9I=")
        #expect(
            json["base_string"]
                == "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal"
        )
    }

    /// Twitter's example through --form: decoded pairs, split at the first '='.
    @Test func formParametersAndVersion() throws {
        let json = try Self.jsonObject(
            try Self.run([
                "sign", "--method", "POST", "--url",
                "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
                "--form", "status=Hello Ladies + Gentlemen, a signed OAuth request!",
                "--consumer-key", "xvz1evFS4wEEPTGEFPHBog", "--consumer-secret",
                "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                "--token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                "--token-secret", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
                "--nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", "--timestamp", "1318622958", "--json",
            ]))
        #expect(json["signature"] == "hCtSmYh+iHYCEqBWrE7C7hYmtUk=")
        let equalsInValue = try Self.jsonObject(
            try Self.run([
                "sign", "--url", "https://e.com/", "--form", "a=b=c", "--form", "flag", "--consumer-key", "k",
                "--consumer-secret", "s", "--nonce", "n", "--timestamp", "1", "--json",
            ]))
        #expect(equalsInValue["normalized_parameters"]?.hasPrefix("a=b%3Dc&flag=&oauth_consumer_key=k") == true)
    }

    @Test func plaintextSignatureIsRedacted() throws {
        let output = try Self.run([
            "sign", "--url", "https://e.com/", "--consumer-key", "k", "--consumer-secret", "SECRET-C",
            "--token", "t", "--token-secret", "SECRET-T", "--signature-method", "plaintext",
        ])
        #expect(!output.contains("SECRET-C"))
        #expect(!output.contains("SECRET-T"))
        #expect(output.contains("oauth_signature=\"REDACTED\""))
    }

    @Test func rsaKeyFromFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("key.pem")
        try Data(Self.testCasesPrivateKeyPEM.utf8).write(to: keyFile)
        let json = try Self.jsonObject(
            try Self.run([
                "sign", "--url", "http://photos.example.net/photos?file=vacaction.jpg&size=original",
                "--consumer-key", "dpf43f3p2l4k3l03", "--signature-method", "RSA-SHA1", "--rsa-key", keyFile.path,
                "--nonce", "13917289812797014437", "--timestamp", "1196666512", "--json",
            ]))
        #expect(json["signature"]?.hasPrefix("jvTp/wX1TYtByB1m+Pbyo0lnCOLIsyGCH7wke8AUs3") == true)

        let missing = #expect(throws: ValidationError.self) {
            try Self.run([
                "sign", "--url", "https://e.com/", "--consumer-key", "k", "--signature-method", "RSA-SHA256",
                "--rsa-key", directory.appendingPathComponent("absent.pem").path,
            ])
        }
        #expect(missing?.message.contains("no such file") == true)
    }

    @Test func unknownMethodListsValidOnes() throws {
        let error = #expect(throws: ValidationError.self) {
            try Self.run([
                "sign", "--url", "https://e.com/", "--consumer-key", "k", "--consumer-secret", "s",
                "--signature-method", "MD5",
            ])
        }
        let message = try #require(error?.message)
        for name in SignCommand.methodNames { #expect(message.contains(name)) }
    }

    @Test(arguments: [
        ["sign", "--url", "https://e.com/", "--consumer-key", "k"],  // no consumer secret
        ["sign", "--url", "https://e.com/", "--consumer-key", "k", "--consumer-secret", "s", "--token", "t"],
        ["sign", "--url", "https://e.com/", "--consumer-key", "k", "--consumer-secret", "s", "--token-secret", "x"],
        ["sign", "--url", "not a url", "--consumer-key", "k", "--consumer-secret", "s"],
        ["sign", "--url", "https://e.com/", "--consumer-key", "k", "--signature-method", "RSA-SHA1"],
        ["sign", "--url", "https://e.com/", "--consumer-key", "k", "--consumer-secret", "s", "--rsa-key", "/x"],
    ])
    func invalidFlagCombinationsAreValidationErrors(_ arguments: [String]) {
        #expect(throws: ValidationError.self) { try Self.run(arguments) }
    }

    /// Runs the built `tokenstore` binary: the real entry point, exit status and stdout.
    @Test func builtBinaryEndToEnd() async throws {
        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found beside the tests")
        let (status, text, _) = try await DemoCommandTests.run(
            binary, Self.leg3,
            environment: [
                SignCommand.consumerSecretVariable: Self.consumerSecret,
                SignCommand.tokenSecretVariable: "pfkkdhi9sl3r4s00",
            ])
        #expect(status == 0)
        #expect(try Self.jsonObject(text)["signature"] == "MdpQcU8iPSUjWoN/UDMsK2sui9I=")
        #expect(!text.contains(Self.consumerSecret) && !text.contains("pfkkdhi9sl3r4s00"))

        let (failing, _, _) = try await DemoCommandTests.run(
            binary, ["sign", "--url", "https://e.com/", "--consumer-key", "k", "--signature-method", "NOPE"],
            environment: [:])
        #expect(failing != 0)
    }

    /// The published test-only key of the oauth.net wiki "TestCases" page; it protects nothing.
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
}
