import ArgumentParser
import OAuth1

/// `--consumer-key` and `--consumer-secret`, falling back to `TOKENSTORE_CONSUMER_KEY` and
/// `TOKENSTORE_CONSUMER_SECRET` (prefer the environment for the secret: command lines are
/// visible to other users in `ps`).
struct ConsumerOptions: ParsableArguments, Sendable {
    /// The environment variable read when `--consumer-key` is absent.
    static let keyVariable = "TOKENSTORE_CONSUMER_KEY"
    /// The environment variable read when `--consumer-secret` is absent.
    static let secretVariable = "TOKENSTORE_CONSUMER_SECRET"

    @Option(name: .customLong("consumer-key"), help: "The app's consumer key (or $TOKENSTORE_CONSUMER_KEY).")
    var consumerKey: String?

    @Option(
        name: .customLong("consumer-secret"),
        help: "The app's consumer secret (or $TOKENSTORE_CONSUMER_SECRET, which keeps it out of `ps`).")
    var consumerSecret: String?

    init() {}

    /// The credentials from the flags, else the environment.
    ///
    /// - Parameter requireSecret: `false` for RSA signature methods, which sign with the
    ///   private key: a missing secret is then empty.
    /// - Throws: ``CLIFailure`` naming the flag and the variable when one is missing.
    func credentials(environment: [String: String], requireSecret: Bool = true) throws -> ClientCredentials {
        guard let key = nonEmpty(consumerKey) ?? nonEmpty(environment[Self.keyVariable]) else {
            throw CLIFailure("no consumer key: pass --consumer-key or set \(Self.keyVariable)")
        }
        let secret = nonEmpty(consumerSecret) ?? nonEmpty(environment[Self.secretVariable])
        guard let secret = secret ?? (requireSecret ? nil : "") else {
            throw CLIFailure("no consumer secret: set \(Self.secretVariable) or pass --consumer-secret")
        }
        return ClientCredentials(key: key, secret: secret)
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
