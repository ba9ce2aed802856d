import Foundation
import Logging
import Synchronization
import TokenStoreKit

// OAuth 2.0 token sets, one record file each in `tokensets/`, named like access tokens.
// Every write (upsert, compare-and-set, lease, release, delete) runs on the store's queue
// under the exclusive `flock` on `lock`, as access token upserts do: the read, the compare
// and the atomic rename are one step for every process using the directory.
extension FileTokenStore {
    func tokenSetPath(_ key: AccessTokenKey) -> String {
        tokenSetDirectory + "/" + FileRecordNames.tokenSet(key)
    }

    /// Reads the token set (and its lease) at `path`; `nil` when absent or when the file
    /// holds another key (a hashed name shared by two keys).
    func readTokenSet(_ path: String, key: AccessTokenKey?, operation: String) throws -> StoredTokenSet? {
        try readKeyed(path, key: key, operation: operation, decode: FileRecord.decodeTokenSet, key: { $0.tokenSet.key })
    }

    public func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? {
        // Inline, like `accessToken(for:)`: one small read from the page cache.
        if closed { throw closedError("tokenSet") }
        return try readTokenSet(tokenSetPath(key), key: key, operation: "tokenSet")?.tokenSet
    }

    @discardableResult
    public func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool {
        try await saveTokenSets([tokenSet], policy: policy, operation: "saveTokenSet") == 1
    }

    /// Removes the record, and with it the lease it holds.
    @discardableResult
    public func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool {
        try await deleteKeyed("deleteTokenSet", key: key, path: tokenSetPath(key), directory: tokenSetDirectory) {
            try self.readTokenSet($0, key: $1, operation: $2)
        }
    }

    public func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage {
        let page = try await listKeyed(
            "listTokenSets", directory: tokenSetDirectory, after: cursor, limit: limit,
            scan: { self.scanTokenSet($0, key: $1) }, key: { $0.key })
        return OAuth2TokenSetPage(tokenSets: page.records, nextCursor: page.nextCursor)
    }

    /// Reads a token set record for a scan; logs and returns `nil` for a damaged one.
    func scanTokenSet(_ path: String, key: AccessTokenKey?) -> OAuth2TokenSet? {
        do {
            return try readTokenSet(path, key: key, operation: "listTokenSets")?.tokenSet
        } catch {
            logger.warning(
                "skipping a token set file that cannot be read as a record",
                metadata: ["store": "\(displayName)", "file": "\(path)", "error": "\(error)"])
            return nil
        }
    }

    /// Compare-and-set under the lock: a damaged record is `corruptedRecord` (its version
    /// cannot be compared), never overwritten.
    public func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? {
        let operation = "replaceTokenSet"
        let path = tokenSetPath(tokenSet.key)
        return try await underLock(operation) {
            guard let existing = try self.readTokenSet(path, key: tokenSet.key, operation: operation),
                existing.tokenSet.version == expected
            else { return nil }
            var stored = tokenSet
            stored.createdAt = existing.tokenSet.createdAt
            // Below Int64.max: the decoder refuses a version that could overflow.
            stored.version = existing.tokenSet.version + 1
            try self.writeTokenSet(stored, lease: nil, to: path)
            return stored
        }
    }

    /// Takes or extends the lease under the lock; expiry is judged in milliseconds by the
    /// store's clock, read once before the queue.
    public func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool {
        let operation = "acquireRefreshLease"
        if closed { throw closedError(operation) }
        let milliseconds = try RefreshLeaseDuration.milliseconds(duration, store: displayName, operation: operation)
        let now = TokenTimestamp.milliseconds(clock.now())
        let path = tokenSetPath(key)
        return try await underLock(operation) {
            guard let existing = try self.readTokenSet(path, key: key, operation: operation) else { return false }
            if let held = existing.lease, held.owner != owner, held.expiresAt > now { return false }
            // `now` is within TokenTimestamp.range and a lease at most an hour: no overflow.
            let lease = StoredTokenSet.Lease(owner: owner, expiresAt: now + milliseconds)
            try self.writeTokenSet(existing.tokenSet, lease: lease, to: path)
            return true
        }
    }

    @discardableResult
    public func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool {
        let operation = "releaseRefreshLease"
        let path = tokenSetPath(key)
        return try await underLock(operation) {
            guard let existing = try self.readTokenSet(path, key: key, operation: operation),
                existing.lease?.owner == owner
            else { return false }
            try self.writeTokenSet(existing.tokenSet, lease: nil, to: path)
            return true
        }
    }

    /// Writes one token set record atomically and durably (file, then directory).
    func writeTokenSet(_ tokenSet: OAuth2TokenSet, lease: StoredTokenSet.Lease?, to path: String) throws {
        try FileSystem.writeAtomically(FileRecord(tokenSet, lease: lease).encoded(), to: path, directory: tokenSetDirectory)
        try FileSystem.syncDirectory(tokenSetDirectory)
    }

    /// Runs `body` on the store's queue holding the exclusive lock on `lock`.
    func underLock<T: Sendable>(_ operation: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        if closed { throw closedError(operation) }
        return try await onQueue(operation) {
            guard let lock = self.lockFile.withLock({ $0 }) else { throw self.closedError(operation) }
            return try FileSystem.withExclusiveLock(lock, path: self.directory + "/lock", body)
        }
    }
}
