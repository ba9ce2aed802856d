import TokenStoreKit

// TEMPORARY (session 13): lets the package build while the driver's token sets are written
// on their own branch; that branch deletes this file.
extension RedisTokenStore {
    private func notYet(_ operation: String) -> TokenStoreError {
        TokenStoreError(.unsupported, store: displayName, operation: operation, message: "token sets are not implemented yet")
    }

    public func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool { throw notYet("saveTokenSet") }
    public func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? { throw notYet("tokenSet") }
    public func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool { throw notYet("deleteTokenSet") }
    public func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage { throw notYet("listTokenSets") }
    public func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? { throw notYet("replaceTokenSet") }
    public func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool { throw notYet("acquireRefreshLease") }
    public func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool { throw notYet("releaseRefreshLease") }
}
