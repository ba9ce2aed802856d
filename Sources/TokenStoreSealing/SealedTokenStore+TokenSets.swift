import TokenStoreKit

/// OAuth 2.0 token sets: the access, refresh and ID tokens are sealed, each bound to its
/// token set and its role (a refresh token moved into the access token's place fails to
/// open). Versions and leases pass through: they hold no secret.
extension SealedTokenStore {
    @discardableResult
    public func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool {
        let sealed = try seal(tokenSet, operation: "saveTokenSet")
        return try await relabel { try await $0.saveTokenSet(sealed, policy: policy) }
    }

    @discardableResult
    public func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy) async throws -> Int {
        let sealed = try tokenSets.map { try seal($0, operation: "saveTokenSets") }
        return try await relabel { try await $0.saveTokenSets(sealed, policy: policy) }
    }

    public func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? {
        guard let stored = try await relabel({ try await $0.tokenSet(for: key) }) else { return nil }
        return try open(stored, operation: "tokenSet")
    }

    @discardableResult
    public func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool {
        try await relabel { try await $0.deleteTokenSet(for: key) }
    }

    public func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage {
        var page = try await relabel { try await $0.listTokenSets(after: cursor, limit: limit) }
        page.tokenSets = try page.tokenSets.map { try open($0, operation: "listTokenSets") }
        return page
    }

    public func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? {
        let sealed = try seal(tokenSet, operation: "replaceTokenSet")
        guard let stored = try await relabel({ try await $0.replaceTokenSet(sealed, ifVersion: expected) }) else {
            return nil
        }
        return try open(stored, operation: "replaceTokenSet")
    }

    public func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool {
        try await relabel { try await $0.acquireRefreshLease(for: key, owner: owner, duration: duration) }
    }

    @discardableResult
    public func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool {
        try await relabel { try await $0.releaseRefreshLease(for: key, owner: owner) }
    }

    package static func record(_ tokenSet: OAuth2TokenSet) -> String {
        "token set \(tokenSet.provider)/\(tokenSet.userID)"
    }

    package func seal(_ tokenSet: OAuth2TokenSet, operation: String) throws -> OAuth2TokenSet {
        let record = Self.record(tokenSet)
        func sealed(_ secret: String, _ kind: String) throws -> String {
            try seal(secret, kind: kind, provider: tokenSet.provider, id: tokenSet.userID, operation: operation, record: record)
        }
        var result = tokenSet
        result.accessToken = try sealed(tokenSet.accessToken, Self.accessKind)
        result.refreshToken = try tokenSet.refreshToken.map { try sealed($0, Self.refreshKind) }
        result.idToken = try tokenSet.idToken.map { try sealed($0, Self.idKind) }
        return result
    }

    package func open(_ tokenSet: OAuth2TokenSet, operation: String) throws -> OAuth2TokenSet {
        let record = Self.record(tokenSet)
        func opened(_ stored: String, _ kind: String) throws -> String {
            try open(stored, kind: kind, provider: tokenSet.provider, id: tokenSet.userID, operation: operation, record: record)
        }
        var result = tokenSet
        result.accessToken = try opened(tokenSet.accessToken, Self.accessKind)
        result.refreshToken = try tokenSet.refreshToken.map { try opened($0, Self.refreshKind) }
        result.idToken = try tokenSet.idToken.map { try opened($0, Self.idKind) }
        return result
    }

    /// The record kinds bound into each sealed value's authenticated data.
    static let accessKind = "oauth2-access"
    static let refreshKind = "oauth2-refresh"
    static let idKind = "oauth2-id"
}
