import ArgumentParser
import Foundation
import OAuth2

/// The OAuth 2.0 client of `authorize --oauth2` and `request` (for refreshing): a preset
/// (`--oauth2-provider x|github|google`) or the endpoint URLs, the client id, and the
/// secret from `TOKENSTORE_CLIENT_SECRET` (kept out of `ps`) for a confidential client.
struct OAuth2ClientOptions: ParsableArguments, Sendable {
    /// The environment variable read when `--client-id` is absent.
    static let idVariable = "TOKENSTORE_CLIENT_ID"
    /// The environment variable holding a confidential client's secret.
    static let secretVariable = "TOKENSTORE_CLIENT_SECRET"

    /// A preset: endpoints and where to ask who signed in.
    struct Preset: Sendable {
        var endpoints: OAuth2ProviderEndpoints
        var userInfoURL: URL
        var defaultScopes: [String]
    }

    static let presets: [String: Preset] = [
        "x": Preset(
            endpoints: .x, userInfoURL: URL(string: "https://api.x.com/2/users/me")!,
            defaultScopes: ["users.read", "tweet.read", "offline.access"]),
        "github": Preset(endpoints: .github, userInfoURL: URL(string: "https://api.github.com/user")!, defaultScopes: []),
        "google": Preset(
            endpoints: .google, userInfoURL: URL(string: "https://openidconnect.googleapis.com/v1/userinfo")!,
            defaultScopes: ["openid", "profile"]),
    ]

    @Option(name: .customLong("oauth2-provider"), help: "An OAuth 2.0 preset: x, github or google.")
    var preset: String?

    @Option(name: .customLong("authorization-url"), help: "The provider's OAuth 2.0 authorization endpoint.")
    var authorizationURL: String?

    @Option(name: .customLong("token-url"), help: "The provider's OAuth 2.0 token endpoint.")
    var tokenURL: String?

    @Option(
        name: .customLong("user-info-url"),
        help: "Where to ask who signed in (GET with the new token; reads data.id, id or sub).")
    var userInfoURL: String?

    @Option(name: .customLong("client-id"), help: "The OAuth 2.0 client id (or $TOKENSTORE_CLIENT_ID).")
    var clientID: String?

    init() {}

    /// Whether any OAuth 2.0 flag was given.
    var isGiven: Bool { preset != nil || authorizationURL != nil || tokenURL != nil || clientID != nil }

    /// The preset named by `--oauth2-provider`, if any.
    func resolvedPreset() throws -> Preset? {
        guard let preset else { return nil }
        guard let found = Self.presets[preset.lowercased()] else {
            throw CLIFailure(
                "unknown OAuth 2.0 preset '\(preset)' (known: \(Self.presets.keys.sorted().joined(separator: ", "))); "
                    + "or give --authorization-url and --token-url")
        }
        return found
    }

    /// The endpoints from the preset or the URL flags (a URL flag overrides the preset's).
    ///
    /// - Parameter requireAuthorization: `false` where only the token endpoint is used
    ///   (refreshing); the authorization URL then defaults to the token URL.
    func endpoints(requireAuthorization: Bool = true) throws -> OAuth2ProviderEndpoints {
        let preset = try resolvedPreset()
        let authorization = try authorizationURL.map { try AuthorizeCommand.endpoint($0, flag: "--authorization-url") }
        let token = try tokenURL.map { try AuthorizeCommand.endpoint($0, flag: "--token-url") }
        guard let token = token ?? preset?.endpoints.tokenURL,
            let authorization = authorization ?? preset?.endpoints.authorizationURL ?? (requireAuthorization ? nil : token)
        else {
            throw CLIFailure("give --oauth2-provider x|github|google, or both --authorization-url and --token-url")
        }
        return OAuth2ProviderEndpoints(
            authorizationURL: authorization, tokenURL: token, revocationURL: preset?.endpoints.revocationURL,
            issuer: preset?.endpoints.issuer)
    }

    /// Where to ask who signed in.
    func userInfo() throws -> URL {
        if let userInfoURL { return try AuthorizeCommand.endpoint(userInfoURL, flag: "--user-info-url") }
        if let preset = try resolvedPreset() { return preset.userInfoURL }
        throw CLIFailure("give --user-info-url (an endpoint answering the signed-in user as JSON), or --oauth2-provider")
    }

    /// The client credentials: `--client-id` or the environment, and the secret from the
    /// environment (a public client without it).
    func credentials(environment: [String: String]) throws -> OAuth2ClientCredentials {
        guard let id = clientID.flatMap({ $0.isEmpty ? nil : $0 }) ?? environment[Self.idVariable].flatMap({ $0.isEmpty ? nil : $0 })
        else {
            throw CLIFailure("no OAuth 2.0 client id: pass --client-id or set \(Self.idVariable)")
        }
        if let secret = environment[Self.secretVariable], !secret.isEmpty {
            return OAuth2ClientCredentials(id: id, secret: secret)
        }
        return OAuth2ClientCredentials(publicClientID: id)
    }
}
