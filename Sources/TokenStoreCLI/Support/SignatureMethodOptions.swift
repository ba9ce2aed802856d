import ArgumentParser
import Foundation
import OAuth1

/// `--signature-method` and `--rsa-key`, shared by `sign`, `authorize` and `request` so an
/// RSA-SHA1 provider (Jira Server/Data Center, for one, accepts nothing else) can be used
/// end to end.
struct SignatureMethodOptions: ParsableArguments, Sendable {
    /// The accepted `--signature-method` names.
    static let methodNames = ["HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512", "RSA-SHA1", "RSA-SHA256", "PLAINTEXT"]

    @Option(
        name: .customLong("signature-method"),
        help: ArgumentHelp("One of \(SignatureMethodOptions.methodNames.joined(separator: ", ")).", valueName: "NAME"))
    var signatureMethod: String = "HMAC-SHA1"

    @Option(
        name: .customLong("rsa-key"),
        help: ArgumentHelp("PEM file with the RSA private key (RSA-SHA1, RSA-SHA256).", valueName: "PEMFILE"))
    var rsaKey: String?

    init() {}

    /// Whether the chosen method signs with the private key instead of the shared secrets
    /// (then no consumer secret is needed).
    var usesRSA: Bool { signatureMethod.uppercased().hasPrefix("RSA-") }

    /// The signature method named by `--signature-method`, reading `--rsa-key` for RSA.
    ///
    /// - Throws: `ValidationError` for an unknown name, an RSA method without a key file,
    ///   a key file with another method, or a key file that cannot be read;
    ///   ``OAuth1Error`` for a file that holds no RSA private key.
    func resolved() throws -> SignatureMethod {
        let name = signatureMethod.uppercased()
        if let method = SignatureMethod.named(name) {
            if rsaKey != nil { throw ValidationError("--rsa-key is only used with RSA-SHA1 and RSA-SHA256") }
            return method
        }
        guard name == "RSA-SHA1" || name == "RSA-SHA256" else {
            throw ValidationError(
                "unknown --signature-method '\(signatureMethod)'; valid: \(Self.methodNames.joined(separator: ", "))")
        }
        guard let rsaKey else { throw ValidationError("\(name) needs --rsa-key PEMFILE (an RSA private key)") }
        let pem: String
        do {
            pem = try String(contentsOfFile: rsaKey, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the --rsa-key file '\(rsaKey)': \(Self.reason(error))")
        }
        return name == "RSA-SHA1"
            ? try SignatureMethod.rsaSHA1(privateKeyPEM: pem) : try SignatureMethod.rsaSHA256(privateKeyPEM: pem)
    }

    private static func reason(_ error: any Error) -> String {
        switch (error as NSError).code {
        case NSFileReadNoSuchFileError: return "no such file"
        case NSFileReadNoPermissionError: return "permission denied"
        case NSFileReadInapplicableStringEncodingError: return "not UTF-8 text"
        default: return "read failed"
        }
    }
}
