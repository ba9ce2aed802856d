import TokenStoreKit

/// Who is signed in, as the store knows them: read on every request, so a token (set)
/// deleted there signs the user out.
enum SignedInUser: Sendable {
    case oauth1(AccessToken)
    case oauth2(OAuth2TokenSet)

    var userID: String {
        switch self {
        case .oauth1(let token): token.userID
        case .oauth2(let tokenSet): tokenSet.userID
        }
    }
    var screenName: String {
        switch self {
        case .oauth1(let token): token.screenName ?? token.userID
        case .oauth2(let tokenSet): tokenSet.screenName ?? tokenSet.userID
        }
    }
    var protocolName: String {
        switch self {
        case .oauth1: "OAuth 1.0a"
        case .oauth2: "OAuth 2.0"
        }
    }
}
