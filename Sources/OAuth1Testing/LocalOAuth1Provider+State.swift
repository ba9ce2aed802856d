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
    }
    struct IssuedToken: Sendable {
        var secret: String
        var consumerKey: String
    }

    var pending: [String: PendingToken] = [:]
    var issued: [String: IssuedToken] = [:]
    var usedNonces: Set<String> = []
    var failures: [LocalOAuth1Provider.Endpoint: LocalOAuth1Provider.Failure] = [:]
    var requestCounts: [LocalOAuth1Provider.Endpoint: Int] = [:]
}
