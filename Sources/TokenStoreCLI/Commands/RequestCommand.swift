import ArgumentParser
import Foundation
import OAuth1
import OAuth2
import TokenStoreFlow
import TokenStoreKit
import TokenStoreSealing

/// `tokenstore request`: a signed HTTP request on behalf of a stored user, like `twurl`.
struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Send an HTTP request with a stored token (OAuth 1.0a signed, or OAuth 2.0 Bearer).",
        discussion: """
            Loads the access token of --user at --provider from the store, signs the request \
            with it and the consumer credentials, sends it and prints the status and the body.

              tokenstore request --provider twitter --user 12345 https://api.x.com/1.1/account/verify_credentials.json
              tokenstore request --provider twitter --user 12345 -X POST -d status=hello https://api.x.com/1.1/statuses/update.json

            When the store holds no OAuth 1.0a access token but an OAuth 2.0 token set for the \
            user, the request carries `Authorization: Bearer`. Given the client (--oauth2-provider \
            or --token-url, with --client-id or TOKENSTORE_CLIENT_ID and, for a confidential client, \
            TOKENSTORE_CLIENT_SECRET), an access token about to expire is refreshed first, \
            coordinated through the store with any other process doing the same.

              tokenstore request --provider github --user 583231 https://api.github.com/user

            A sealed store (secrets sealed with a key from `tokenstore keygen`) needs --sealing-keys (or \
            $\(SealingKeyRing.environmentVariable)): without them nothing is sent.

            \(RequestCommand.exitCodeHelp)
            """)

    /// The exit status of `--fail` for an HTTP status of 400 or more (curl's).
    static let httpErrorExitCode: Int32 = 22

    /// The exit statuses, for `--help`.
    static let exitCodeHelp = """
        Exit status: 0 the request was sent and answered (any HTTP status; with --fail, below \
        400); 1 nothing sent or no answer (no stored token, store or sealing error, network \
        error, timeout); \(httpErrorExitCode) with --fail, the answer had an HTTP status of 400 or more \
        (status and body go to standard error); 64 usage error.
        """

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var consumer: ConsumerOptions
    @OptionGroup var signing: SignatureMethodOptions
    @OptionGroup var http: HTTPTimeoutOptions
    @OptionGroup var oauth2: OAuth2ClientOptions

    @Option(help: "The provider id the token is stored under, e.g. twitter.")
    var provider: String

    @Option(help: "The user id the token is stored under.")
    var user: String

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp("The HTTP method (default GET, or POST with -d).", valueName: "METHOD"))
    var method: String?

    @Option(
        name: .customShort("d"),
        help: ArgumentHelp(
            "A form field NAME=VALUE (decoded; split at the first '='); repeatable.", valueName: "NAME=VALUE"))
    var data: [String] = []

    @Flag(
        name: [.customShort("f"), .customLong("fail")],
        help: "Exit \(RequestCommand.httpErrorExitCode) when the HTTP status is 400 or more, printing it and the body to standard error (like curl -f).")
    var fail = false

    @Argument(help: "The request URL, query included.")
    var url: String

    init() {}

    func run() async throws {
        try await execute(console: .standard)
    }

    /// Runs the command with `console`'s streams and environment.
    ///
    /// - Throws: ``CLIFailure`` with a message for the user (nothing is sent for a sealed
    ///   secret without keys); `ExitCode(22)` with `--fail` for an HTTP status of 400 or
    ///   more, after printing the status and body to standard error. Without `--fail` the
    ///   status is printed, whatever it is, and the command succeeds.
    func execute(console: CLIConsole) async throws {
        let request = try makeRequest()
        let key = AccessTokenKey(provider: provider, userID: user)
        let stored = try await storeOptions.withStore(environment: console.environment) { store in
            try await Self.lookUp(key, in: store, refreshing: try refresher(for: store, environment: console.environment))
        }
        switch stored {
        case .oauth1(let token):
            try await sendSigned(request, token: token, console: console)
        case .oauth2(let tokenSet):
            try await sendBearer(request, tokenSet: tokenSet, console: console)
        }
    }

    /// What the store holds for the user: an OAuth 1.0a access token, else an OAuth 2.0
    /// token set (refreshed when `refresher` is given and it is about to expire).
    enum StoredCredentials: Sendable {
        case oauth1(AccessToken)
        case oauth2(OAuth2TokenSet)
    }

    static func lookUp(
        _ key: AccessTokenKey, in store: any TokenStore, refreshing refresher: OAuth2TokenRefresher?
    ) async throws -> StoredCredentials {
        do {
            if let found = try await store.accessToken(for: key) {
                // Opened by a SealedTokenStore when keys were given; without them a sealed text
                // would be signed with as if it were the secret and the provider would answer 401.
                if !(store is SealedTokenStore), SealedTokenStore.isSealed(storedSecret: found.secret) {
                    throw CLIFailure(Self.sealedWithoutKeys(found, store: store.displayName).description)
                }
                return .oauth1(found)
            }
            if let refresher {
                return .oauth2(try await CLIErrors.reporting { try await refresher.validAccessToken(for: key) })
            }
            if let tokenSet = try await store.tokenSet(for: key) {
                if !(store is SealedTokenStore), SealedTokenStore.isSealed(storedSecret: tokenSet.accessToken) {
                    throw CLIFailure(
                        "\(store.displayName): the OAuth 2.0 access token of \(key) is sealed; pass --sealing-keys FILE "
                            + "or set \(SealingKeyRing.environmentVariable) to open it (nothing was sent)")
                }
                if tokenSet.invalidatedAt != nil || tokenSet.expires(within: .zero, of: Date()) {
                    throw CLIFailure(
                        "the OAuth 2.0 access token of \(key) has expired or was invalidated; give the client "
                            + "(--oauth2-provider or --token-url, and --client-id) to refresh it, or run "
                            + "`tokenstore authorize --oauth2` again (nothing was sent)")
                }
                return .oauth2(tokenSet)
            }
        } catch let error as TokenStoreError {
            throw CLIFailure(error.description)
        }
        throw CLIFailure(
            "no access token or token set for \(key) in \(store.displayName); run `tokenstore authorize` first "
                + "(or check --provider, --user and --store)")
    }

    /// A refresher when the OAuth 2.0 client is given.
    func refresher(for store: any TokenStore, environment: [String: String]) throws -> OAuth2TokenRefresher? {
        guard oauth2.preset != nil || oauth2.tokenURL != nil else { return nil }
        let endpoints = try oauth2.endpoints(requireAuthorization: false)
        let client = OAuth2Client(
            credentials: try oauth2.credentials(environment: environment), endpoints: endpoints,
            redirectURI: endpoints.tokenURL, timeout: http.duration)
        return OAuth2TokenRefresher(store: store, client: client)
    }

    private func sendBearer(_ request: OAuth1HTTPRequest, tokenSet: OAuth2TokenSet, console: CLIConsole) async throws {
        var request = request
        request.setHeader("Authorization", "Bearer " + tokenSet.accessToken)
        try await send(request, console: console)
    }

    private func sendSigned(_ request: OAuth1HTTPRequest, token: AccessToken, console: CLIConsole) async throws {
        let method = try signing.resolved()
        let credentials = try consumer.credentials(environment: console.environment, requireSecret: !signing.usesRSA)
        let signer = OAuth1Signer(
            client: credentials, token: TokenCredentials(token: token.token, secret: token.secret), method: method)
        try await send(try signer.sign(request), console: console)
    }

    private func send(_ request: OAuth1HTTPRequest, console: CLIConsole) async throws {
        let response: OAuth1HTTPResponse
        do {
            response = try await URLSessionTransport.shared.send(request, timeout: http.duration)
        } catch let error as OAuth1Error {
            throw CLIFailure("\(request.method) \(request.url.absoluteString) failed: \(error.description)")
        }
        let body = String(decoding: response.body, as: UTF8.self)
        if fail, response.status >= 400 {
            console.printError("HTTP \(response.status)")
            console.printError(body)
            throw ExitCode(Self.httpErrorExitCode)
        }
        console.print("HTTP \(response.status)")
        console.print(body)
    }

    /// The error for a sealed secret read without sealing keys: names the record and the
    /// key id, never the sealed text.
    static func sealedWithoutKeys(_ token: AccessToken, store: String) -> TokenStoreError {
        let keyID = SealedTokenStore.sealingKeyID(ofStoredSecret: token.secret).map { " with key '\($0.prefix(64))'" } ?? ""
        return TokenStoreError(
            .sealing, store: store, operation: "request",
            message: "the access token's secret is sealed\(keyID); pass --sealing-keys FILE or set "
                + "\(SealingKeyRing.environmentVariable) to open it (nothing was sent)",
            record: "access token \(token.provider)/\(token.userID)")
    }

    /// The unsigned request from the arguments.
    func makeRequest() throws -> OAuth1HTTPRequest {
        guard let target = URL(string: url), let scheme = target.scheme?.lowercased(),
            scheme == "http" || scheme == "https", target.host != nil
        else {
            throw CLIFailure("'\(url)' is not an http or https URL")
        }
        var fields: [OAuth1Parameter] = []
        for pair in data {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw CLIFailure("-d expects NAME=VALUE, got '\(pair)'")
            }
            fields.append(OAuth1Parameter(String(pair[..<equals]), String(pair[pair.index(after: equals)...])))
        }
        let verb = (method ?? (fields.isEmpty ? "GET" : "POST")).uppercased()
        guard !verb.isEmpty, verb.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw CLIFailure("-X expects an HTTP method such as GET or POST, got '\(method ?? "")'")
        }
        var request = OAuth1HTTPRequest(method: verb, url: target)
        if !fields.isEmpty {
            request.body = Data(OAuth1PercentEncoding.formEncode(fields).utf8)
            request.setHeader("Content-Type", "application/x-www-form-urlencoded")
        }
        return request
    }
}
