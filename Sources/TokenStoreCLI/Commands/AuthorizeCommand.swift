import ArgumentParser
import Foundation
import OAuth1
import TokenStoreFlow
import TokenStoreKit
import TokenStoreSealing

/// `tokenstore authorize`: the desktop (PIN, `oob`) dance for a real provider, like
/// `twurl authorize`, storing the access token.
struct AuthorizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authorize",
        abstract: "Authorize an account (OAuth 1.0a PIN flow, or OAuth 2.0 with --oauth2) and store its tokens.",
        discussion: """
            Prints the provider's authorize URL, reads the PIN the provider shows from standard \
            input, exchanges it for the access token and stores that under (provider id, user id).

              export TOKENSTORE_CONSUMER_KEY=... TOKENSTORE_CONSUMER_SECRET=...
              tokenstore authorize --provider twitter
              tokenstore authorize --provider-id example --request-token-url https://example.com/oauth/request_token \\
                --authorize-url https://example.com/oauth/authorize --access-token-url https://example.com/oauth/access_token
              tokenstore authorize --provider-id jira --signature-method RSA-SHA1 --rsa-key jira.pem \\
                --request-token-url https://jira.example.com/plugins/servlet/oauth/request-token ...

            With --oauth2 it signs in with OAuth 2.0 as a native app (RFC 8252): it listens on \
            http://127.0.0.1:<free port>/callback, prints the authorization URL (PKCE S256), waits \
            for the browser to come back, asks the user-info endpoint who signed in and stores the \
            token set. The client id comes from --client-id or TOKENSTORE_CLIENT_ID, a confidential \
            client's secret from TOKENSTORE_CLIENT_SECRET; register the loopback redirect with the \
            provider (any port).

              TOKENSTORE_CLIENT_ID=... tokenstore authorize --oauth2 --oauth2-provider github
              tokenstore authorize --oauth2 --provider-id example --authorization-url https://example.com/oauth2/authorize \
                --token-url https://example.com/oauth2/token --user-info-url https://example.com/api/me --scope read

            With an RSA method no consumer secret is needed. A store that holds sealed secrets \
            needs --sealing-keys (or TOKENSTORE_SEALING_KEYS); without them it is refused.
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var consumer: ConsumerOptions
    @OptionGroup var signing: SignatureMethodOptions
    @OptionGroup var http: HTTPTimeoutOptions

    @Option(help: "A provider preset (twitter); also the default provider id.")
    var provider: String?

    @Option(
        name: .customLong("provider-id"),
        help: "The provider id tokens are stored under (default: the preset name or the request-token URL's host).")
    var providerID: String?

    @Option(
        name: .customLong("request-token-url"), help: "The provider's request-token (temporary credentials) endpoint.")
    var requestTokenURL: String?

    @Option(name: .customLong("authorize-url"), help: "The provider's authorize page.")
    var authorizeURL: String?

    @Option(name: .customLong("access-token-url"), help: "The provider's access-token endpoint.")
    var accessTokenURL: String?

    @Option(
        name: .customLong("access-type"),
        help: "x_auth_access_type to ask for (read, write), when the provider supports it.")
    var accessType: String?

    @Flag(
        name: .customLong("oauth2"),
        help: "Sign in with OAuth 2.0 (authorization code, PKCE, a loopback redirect) and store the token set.")
    var useOAuth2 = false

    @OptionGroup var oauth2: OAuth2ClientOptions

    @Option(name: .customLong("scope"), help: "An OAuth 2.0 scope to ask for; repeatable (default: the preset's).")
    var scope: [String] = []

    @Flag(
        name: .customLong("allow-unconfirmed-callback"),
        help: "Accept a request-token answer without oauth_callback_confirmed=true (only for providers that predate OAuth 1.0a).")
    var allowUnconfirmedCallback = false

    init() {}

    func run() async throws {
        try await execute(console: .standard)
    }

    /// The sealing key id of the first sealed secret among the store's first tokens, if any:
    /// a store whose secrets are sealed must not get a plain one because the keys were
    /// forgotten. (The tokens looked at are those listed first; a store being sealed in
    /// place may start with plain ones.)
    static func sealedKeyID(in store: any TokenStore) async throws -> String? {
        let access = try await store.listAccessTokens(after: nil, limit: 20).tokens
        let request = try await store.listRequestTokens(after: nil, limit: 20).tokens
        for secret in access.map(\.secret) + request.map(\.secret) where SealedTokenStore.isSealed(storedSecret: secret) {
            return SealedTokenStore.sealingKeyID(ofStoredSecret: secret) ?? ""
        }
        return nil
    }

    static func sealedStoreWithoutKeysMessage(store: String, keyID: String) -> String {
        "\(store) holds sealed secrets (key '\(keyID.prefix(64))'); pass --sealing-keys FILE or set "
            + "TOKENSTORE_SEALING_KEYS so the new access token is sealed too. Nothing was sent to the provider."
    }

    /// The provider presets `--provider` accepts.
    static let presets: [String: OAuth1ProviderEndpoints] = ["twitter": .twitter, "x": .twitter]

    /// Runs the command with `console`'s streams and environment.
    ///
    /// - Throws: ``CLIFailure`` with a message for the user.
    func execute(console: CLIConsole) async throws {
        if useOAuth2 { return try await executeOAuth2(console: console) }
        if oauth2.isGiven || !scope.isEmpty {
            throw CLIFailure("--oauth2-provider, --authorization-url, --token-url, --client-id and --scope need --oauth2")
        }
        var (endpoints, id) = try resolveProvider()
        if allowUnconfirmedCallback { endpoints.requiresCallbackConfirmed = false }
        let method = try signing.resolved()
        let credentials = try consumer.credentials(environment: console.environment, requireSecret: !signing.usesRSA)
        let client = OAuth1Client(
            credentials: credentials, callback: .outOfBand, endpoints: endpoints, signatureMethod: method,
            timeout: http.duration)

        let completion = try await storeOptions.withStore(environment: console.environment) { store in
            if !(store is SealedTokenStore), let keyID = try await Self.sealedKeyID(in: store) {
                throw CLIFailure(Self.sealedStoreWithoutKeysMessage(store: store.displayName, keyID: keyID))
            }
            let flow = AuthorizationFlow(provider: id, client: client, store: store)
            return try await CLIErrors.reporting {
                let start: AuthorizationStart
                do {
                    start = try await flow.begin(session: .outOfBand, accessType: accessType)
                } catch let error as OAuth1Error where error.code == .callbackNotConfirmed {
                    throw CLIFailure(Self.callbackNotConfirmedMessage)
                }
                console.print("Open this URL in a browser and authorize the app:")
                console.print()
                console.print("  \(start.authorizationURL.absoluteString)")
                console.print()
                console.writeOutput("Then enter the PIN the provider shows: ")
                // Waiting for a person to type blocks; do it on a thread of its own, not a
                // cooperative one.
                let readLine = console.readLine
                let typed: String? = await withCheckedContinuation { continuation in
                    Thread.detachNewThread { continuation.resume(returning: readLine()) }
                }
                // A PIN typed at a terminal ends the prompt's line with its echo; piped input
                // or end of input does not, and what follows (an "Error:" line included)
                // would continue the prompt's line.
                if typed == nil || !console.inputIsTerminal { console.print() }
                guard let pin = typed, !pin.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw CLIFailure("no PIN on standard input; run `tokenstore authorize` again and type the PIN")
                }
                let done = try await flow.completeOutOfBand(requestToken: start.requestToken, verifier: pin)
                console.print()
                console.print("Stored the access token in \(store.displayName)")
                return done
            }
        }
        let token = completion.accessToken
        console.print("  provider:    \(token.provider)")
        console.print("  user id:     \(token.userID)")
        console.print("  screen name: \(token.screenName ?? "(none returned)")")
        console.print("  token:       \(token.token) (the secret is stored, never printed)")
        console.print()
        console.print("Try: tokenstore request --provider \(token.provider) --user \(token.userID) URL")
    }

    /// What `authorize` says when the provider does not confirm the callback: the library's
    /// message names a setting the command line does not have.
    static let callbackNotConfirmedMessage =
        "the provider did not answer oauth_callback_confirmed=true to the request-token call, so it may not be "
        + "an OAuth 1.0a provider (or the request-token URL is wrong); if the provider is known to predate "
        + "OAuth 1.0a, run again with --allow-unconfirmed-callback"

    /// The endpoints and the provider id from `--provider` or the three URL flags.
    func resolveProvider() throws -> (OAuth1ProviderEndpoints, String) {
        let urls = [requestTokenURL, authorizeURL, accessTokenURL]
        if let provider, urls.allSatisfy({ $0 == nil }) {
            guard let preset = Self.presets[provider.lowercased()] else {
                throw CLIFailure(
                    "unknown provider preset '\(provider)' (known: \(Self.presets.keys.sorted().joined(separator: ", "))); "
                        + "or give --request-token-url, --authorize-url and --access-token-url")
            }
            return (preset, providerID ?? provider.lowercased())
        }
        guard let requestTokenURL, let authorizeURL, let accessTokenURL else {
            throw CLIFailure(
                "give --provider twitter, or all of --request-token-url, --authorize-url and --access-token-url")
        }
        let requestToken = try Self.endpoint(requestTokenURL, flag: "--request-token-url")
        let authorize = try Self.endpoint(authorizeURL, flag: "--authorize-url")
        let accessToken = try Self.endpoint(accessTokenURL, flag: "--access-token-url")
        let id = providerID ?? provider ?? requestToken.host ?? "provider"
        return (
            OAuth1ProviderEndpoints(
                requestTokenURL: requestToken, authorizeURL: authorize, accessTokenURL: accessToken), id
        )
    }

    static func endpoint(_ text: String, flag: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            url.host != nil
        else {
            throw CLIFailure("\(flag) '\(text)' is not an http or https URL")
        }
        return url
    }
}
