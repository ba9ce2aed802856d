import Foundation
import OAuth2
import TokenStoreFlow
import TokenStoreKit
import TokenStoreSealing

extension AuthorizeCommand {
    /// How long `authorize --oauth2` waits for the browser to come back.
    static let loopbackWait: Duration = .seconds(300)

    /// `authorize --oauth2`: the native-app flow of RFC 8252. Listens on a loopback port,
    /// prints the authorization URL (PKCE S256, a fresh state), waits for the browser's
    /// redirect, exchanges the code, asks the user-info endpoint who signed in and stores
    /// the token set under (provider id, user id).
    func executeOAuth2(console: CLIConsole) async throws {
        let endpoints = try oauth2.endpoints()
        let userInfo = try oauth2.userInfo()
        let credentials = try oauth2.credentials(environment: console.environment)
        let id = providerID ?? oauth2.preset?.lowercased() ?? endpoints.tokenURL.host ?? "provider"
        let scopes = scope.isEmpty ? (try oauth2.resolvedPreset()?.defaultScopes ?? []) : scope
        let loopback = try await LoopbackRedirect.start()
        let client = OAuth2Client(
            credentials: credentials, endpoints: endpoints, redirectURI: loopback.redirectURI, timeout: http.duration)
        let completion: OAuth2AuthorizationCompletion
        do {
            completion = try await storeOptions.withStore(environment: console.environment) { store in
                if !(store is SealedTokenStore), let keyID = try await Self.sealedKeyID(in: store) {
                    throw CLIFailure(Self.sealedStoreWithoutKeysMessage(store: store.displayName, keyID: keyID))
                }
                let flow = OAuth2AuthorizationFlow(provider: id, client: client, store: store)
                return try await CLIErrors.reporting {
                    let start = try await flow.begin(session: .outOfBand, scopes: scopes)
                    console.print("Open this URL in a browser and authorize the app:")
                    console.print()
                    console.print("  \(start.authorizationURL.absoluteString)")
                    console.print()
                    console.print("Waiting for the browser at \(loopback.redirectURI.absoluteString) ...")
                    guard let query = await loopback.waitForCallback(timeout: Self.loopbackWait) else {
                        throw CLIFailure("the browser did not come back within \(Self.loopbackWait); run `tokenstore authorize --oauth2` again")
                    }
                    let done = try await flow.complete(callbackQuery: query, session: .outOfBand) { response in
                        try await OAuth2UserInfo.identify(response, client: client, url: userInfo)
                    }
                    console.print()
                    console.print("Stored the OAuth 2.0 token set in \(store.displayName)")
                    return done
                }
            }
        } catch {
            await loopback.stop()
            throw error
        }
        await loopback.stop()
        let tokenSet = completion.tokenSet
        console.print("  provider:      \(tokenSet.provider)")
        console.print("  user id:       \(tokenSet.userID)")
        console.print("  screen name:   \(tokenSet.screenName ?? "(none returned)")")
        console.print("  scope:         \(tokenSet.scope ?? "(as requested)")")
        console.print("  expires:       \(tokenSet.expiresAt.map { "\($0)" } ?? "(not said)")")
        console.print("  refresh token: \(tokenSet.refreshToken == nil ? "none" : "stored") (tokens are stored, never printed)")
        console.print()
        console.print("Try: tokenstore request --provider \(tokenSet.provider) --user \(tokenSet.userID) URL")
    }
}
