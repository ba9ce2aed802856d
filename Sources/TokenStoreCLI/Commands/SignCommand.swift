import ArgumentParser
import Foundation
import OAuth1

/// `tokenstore sign`: shows every step of an OAuth 1.0a signature for given inputs, to
/// answer "why does the provider reject my signature?".
///
/// Secrets can come from the environment (`TOKENSTORE_CONSUMER_SECRET`,
/// `TOKENSTORE_TOKEN_SECRET`) so they stay out of shell history. The output never contains
/// the secrets; with PLAINTEXT, whose signature *is* the secrets, the signature is redacted.
struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Print the normalized parameters, base string, signature and Authorization header of a request.",
        discussion: "The query is taken from --url exactly as given (decoded with form rules: '+' is a space). "
            + "--form adds decoded body parameters as an application/x-www-form-urlencoded body. "
            + "Secrets may come from the environment variables \(consumerSecretVariable) and \(tokenSecretVariable) "
            + "instead of the flags, so they stay out of shell history. Secrets are never printed; a PLAINTEXT "
            + "signature (which is the secrets) is redacted.")

    /// Environment variable read when `--consumer-secret` is absent.
    static let consumerSecretVariable = "TOKENSTORE_CONSUMER_SECRET"
    /// Environment variable read when `--token-secret` is absent.
    static let tokenSecretVariable = "TOKENSTORE_TOKEN_SECRET"
    /// The accepted `--signature-method` names.
    static let methodNames = SignatureMethodOptions.methodNames

    @Option(help: "HTTP method.")
    var method: String = "GET"

    @Option(help: "Full request URL, with its query as it will be sent.")
    var url: String

    @Option(
        name: .customLong("form"),
        help: ArgumentHelp(
            "A decoded form body parameter (repeatable); split at the first '='.", valueName: "NAME=VALUE"))
    var form: [String] = []

    @Option(help: "Client (consumer) key.")
    var consumerKey: String

    @Option(help: "Client (consumer) secret; or set \(SignCommand.consumerSecretVariable).")
    var consumerSecret: String?

    @Option(help: "Token (request or access token).")
    var token: String?

    @Option(help: "Token secret; or set \(SignCommand.tokenSecretVariable).")
    var tokenSecret: String?

    @OptionGroup var signing: SignatureMethodOptions

    @Option(help: "oauth_nonce to use (default: 128 random bits).")
    var nonce: String?

    @Option(help: "oauth_timestamp to use (default: now).")
    var timestamp: Int64?

    @Option(help: "oauth_callback (temporary credentials request).")
    var callback: String?

    @Option(help: "oauth_verifier (token request).")
    var verifier: String?

    @Option(help: "realm of the Authorization header (not signed).")
    var realm: String?

    @Flag(help: "Leave out oauth_version=1.0 (RFC 5849 makes it optional).")
    var omitVersion = false

    @Flag(help: "Print one JSON object with normalized_parameters, base_string, signature, authorization.")
    var json = false

    init() {}

    func run() throws {
        print(try output(environment: ProcessInfo.processInfo.environment), terminator: "")
    }

    /// Computes the text `run()` prints, so tests can call the command in-process.
    ///
    /// - Parameter environment: Where secrets are looked up when their flags are absent.
    /// - Returns: The labelled sections, or a JSON object with `--json`; ends with a newline.
    /// - Throws: `ValidationError` for bad flags, ``OAuth1Error`` for a bad URL or key.
    func output(environment: [String: String]) throws -> String {
        let details = try signatureDetails(environment: environment)
        var signature = details.signature
        var authorization = details.authorizationHeader
        if details.signatureRevealsSecrets {
            signature = "<redacted: a PLAINTEXT signature is the secrets>"
            let redacted = details.protocolParameters.map {
                $0.name == "oauth_signature" ? OAuth1Parameter($0.name, "REDACTED") : $0
            }
            authorization = OAuth1AuthorizationHeader.make(protocolParameters: redacted, realm: realm)
        }
        if json {
            let object = [
                "normalized_parameters": details.normalizedParameters, "base_string": details.baseString,
                "signature": signature, "authorization": authorization,
            ]
            let data = try JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self) + "\n"
        }
        return """
            Normalized parameters:
              \(details.normalizedParameters)

            Signature base string:
              \(details.baseString)

            Signature (\(details.signatureMethod)):
              \(signature)

            Authorization header:
              Authorization: \(authorization)

            """
    }

    /// Builds the request and signer from the flags and signs.
    func signatureDetails(environment: [String: String]) throws -> OAuth1Signer.SignatureDetails {
        guard let requestURL = URL(string: url), requestURL.scheme != nil, requestURL.host != nil else {
            throw ValidationError("--url must be an absolute URL such as https://api.example.com/1/items?x=1")
        }
        var request = OAuth1HTTPRequest(method: method, url: requestURL)
        if !form.isEmpty {
            let pairs = form.map { item -> OAuth1Parameter in
                guard let equals = item.firstIndex(of: "=") else { return OAuth1Parameter(item, "") }
                return OAuth1Parameter(String(item[..<equals]), String(item[item.index(after: equals)...]))
            }
            request.setHeader("Content-Type", "application/x-www-form-urlencoded")
            request.body = Data(OAuth1PercentEncoding.formEncode(pairs).utf8)
        }

        let signatureMethod = try signing.resolved()
        let usesSecrets = !signatureMethod.name.hasPrefix("RSA-")
        let clientSecret = consumerSecret ?? environment[Self.consumerSecretVariable]
        if usesSecrets && clientSecret == nil {
            throw ValidationError(
                "\(signatureMethod.name) needs the consumer secret: pass --consumer-secret or set \(Self.consumerSecretVariable)"
            )
        }
        var tokenCredentials: TokenCredentials?
        if let token {
            let secret = tokenSecret ?? environment[Self.tokenSecretVariable]
            if usesSecrets && secret == nil {
                throw ValidationError(
                    "--token needs its secret: pass --token-secret or set \(Self.tokenSecretVariable)")
            }
            tokenCredentials = TokenCredentials(token: token, secret: secret ?? "")
        } else if tokenSecret != nil {
            throw ValidationError("--token-secret was given without --token")
        }

        var extras: [OAuth1Parameter] = []
        if let callback { extras.append(OAuth1Parameter("oauth_callback", callback)) }
        if let verifier { extras.append(OAuth1Parameter("oauth_verifier", verifier)) }

        let signer = OAuth1Signer(
            client: ClientCredentials(key: consumerKey, secret: clientSecret ?? ""),
            token: tokenCredentials,
            method: signatureMethod,
            realm: realm,
            includeVersion: !omitVersion,
            clock: timestamp.map(OAuth1Clock.fixed) ?? .system,
            nonce: nonce.map(OAuth1NonceGenerator.fixed) ?? .secureRandom)
        return try signer.signatureDetails(for: request, extraProtocolParameters: extras)
    }
}
