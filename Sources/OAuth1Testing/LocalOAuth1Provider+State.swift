import Foundation
import OAuth1

/// The provider's mutable records, behind one lock.
struct LocalOAuth1ProviderState: Sendable {
    struct PendingToken: Sendable {
        var secret: String
        var consumerKey: String
        var callback: String
        var expiresAt: Int64
        var verifier: String?
        var denied = false
        /// Who approved; `nil` until approved (the configured user by default).
        var user: LocalOAuth1Provider.User?
        /// `x_auth_access_type` of the request-token request, echoed with the access token.
        var accessType: String?
    }
    struct IssuedToken: Sendable {
        var secret: String
        var consumerKey: String
        var user: LocalOAuth1Provider.User
    }

    var pending: [String: PendingToken] = [:]
    var issued: [String: IssuedToken] = [:]
    var usedNonces: Set<String> = []
    var failures: [LocalOAuth1Provider.Endpoint: LocalOAuth1Provider.Failure] = [:]
    var requestCounts: [LocalOAuth1Provider.Endpoint: Int] = [:]
}
