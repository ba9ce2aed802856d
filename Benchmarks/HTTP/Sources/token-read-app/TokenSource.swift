import TokenStoreKit

/// Where `GET /me` reads the signed-in user's access token from: the part of the request
/// each benchmark mode swaps out, everything else (routing, cookie check, page) staying
/// the same.
protocol TokenSource: Sendable {
    /// What the mode is, for the start-up line.
    var label: String { get }
    /// The stored access token of `userID` at ``BenchUsers/provider``, `nil` when none.
    func accessToken(userID: String) async throws -> AccessToken?
    /// Releases connections and files.
    func close() async throws
}

/// No store call at all: the page shows one token built at start, so the numbers are
/// Hummingbird's and the cookie check's alone (the ceiling the other modes approach).
struct ConstantTokenSource: TokenSource {
    let token = BenchUsers.token(for: BenchUsers.userID(1), createdAt: BenchUsers.seedDate)

    var label: String { "constant (no store call)" }

    func accessToken(userID: String) async throws -> AccessToken? { token }

    func close() async throws {}
}

/// A tokenstore store opened from a URL, wrapped in `MeteredTokenStore` as the example app
/// does; the call a real app makes on every page.
struct StoreTokenSource: TokenSource {
    let store: MeteredTokenStore

    var label: String { "store \(store.displayName)" }

    func accessToken(userID: String) async throws -> AccessToken? {
        try await store.accessToken(for: AccessTokenKey(provider: BenchUsers.provider, userID: userID))
    }

    func close() async throws { try await store.close() }
}
