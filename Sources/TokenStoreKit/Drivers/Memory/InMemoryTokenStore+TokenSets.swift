import Foundation
import Synchronization

/// OAuth 2.0 token sets, their versions and refresh leases, under the same lock as the
/// rest of the store: the compare-and-set and the lease are atomic because each is one
/// critical section.
extension InMemoryTokenStore {
    @discardableResult
    public func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool {
        try checkOpen("saveTokenSet")
        return storage.state.withLock { state in Self.write(tokenSet, policy: policy, into: &state) }
    }

    @discardableResult
    public func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy) async throws -> Int {
        try checkOpen("saveTokenSets")
        return storage.state.withLock { state in
            tokenSets.reduce(0) { written, set in written + (Self.write(set, policy: policy, into: &state) ? 1 : 0) }
        }
    }

    /// The upsert rule every driver keeps: the stored `createdAt` survives, `.ifNewer`
    /// writes only a later `updatedAt`, and the version is one more than the stored one.
    private static func write(_ tokenSet: OAuth2TokenSet, policy: WritePolicy, into state: inout State) -> Bool {
        let key = tokenSet.key
        var stored = tokenSet
        guard let existing = state.tokenSets[key] else {
            stored.version = 1
            state.tokenSets[key] = stored
            state.tokenSetOrder.insert(key)
            return true
        }
        if policy == .ifNewer, tokenSet.updatedAt <= existing.updatedAt { return false }
        stored.createdAt = existing.createdAt
        stored.version = existing.version + 1
        state.tokenSets[key] = stored
        return true
    }

    public func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? {
        try checkOpen("tokenSet")
        return storage.state.withLock { $0.tokenSets[key] }
    }

    @discardableResult
    public func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool {
        try checkOpen("deleteTokenSet")
        return storage.state.withLock { state in
            state.refreshLeases.removeValue(forKey: key)
            guard state.tokenSets.removeValue(forKey: key) != nil else { return false }
            state.tokenSetOrder.remove(key)
            return true
        }
    }

    public func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage {
        try checkOpen("listTokenSets")
        guard limit >= 1 else { throw invalidLimit("listTokenSets", limit) }
        return storage.state.withLock { state in
            let keys = state.tokenSetOrder.keys
            let start = cursor.map { state.tokenSetOrder.upperBound($0) } ?? 0
            let end = keys.count - start <= limit ? keys.count : start + limit
            let page = keys[start..<end].compactMap { state.tokenSets[$0] }
            return OAuth2TokenSetPage(tokenSets: page, nextCursor: end < keys.count ? page.last?.key : nil)
        }
    }

    public func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? {
        try checkOpen("replaceTokenSet")
        return storage.state.withLock { state in
            let key = tokenSet.key
            guard let existing = state.tokenSets[key], existing.version == expected else { return nil }
            var stored = tokenSet
            stored.createdAt = existing.createdAt
            stored.version = expected + 1
            state.tokenSets[key] = stored
            state.refreshLeases.removeValue(forKey: key)
            return stored
        }
    }

    public func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool {
        try checkOpen("acquireRefreshLease")
        let milliseconds = try RefreshLeaseDuration.milliseconds(duration, store: displayName, operation: "acquireRefreshLease")
        let now = clock.now()
        return storage.state.withLock { state in
            guard state.tokenSets[key] != nil else { return false }
            if let held = state.refreshLeases[key], held.owner != owner, held.expiresAt > now { return false }
            state.refreshLeases[key] = RefreshLease(
                owner: owner, expiresAt: now.addingTimeInterval(Double(milliseconds) / 1000))
            return true
        }
    }

    @discardableResult
    public func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool {
        try checkOpen("releaseRefreshLease")
        return storage.state.withLock { state in
            guard state.refreshLeases[key]?.owner == owner else { return false }
            state.refreshLeases.removeValue(forKey: key)
            return true
        }
    }
}
