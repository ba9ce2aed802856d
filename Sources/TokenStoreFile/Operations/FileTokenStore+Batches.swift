import Foundation
import Logging
import Synchronization
import TokenStoreKit

extension FileTokenStore {
    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        try await saveAccessTokens(tokens, policy: policy, operation: "saveAccessTokens")
    }

    /// Writes `tokens` under the lock, one atomic file each, and fsyncs the directory once;
    /// ``saveAccessToken(_:policy:)`` is a batch of one.
    func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy, operation: String) async throws -> Int {
        if closed { throw closedError(operation) }
        if tokens.isEmpty { return 0 }
        return try await onQueue(operation) {
            guard let lock = self.lockFile.withLock({ $0 }) else { throw self.closedError(operation) }
            // The lock makes read-compare-write one step for every process using the
            // directory; the directory is fsynced once for the whole batch.
            return try FileSystem.withExclusiveLock(lock, path: self.directory + "/lock") {
                var written = 0
                for token in tokens {
                    let path = self.accessPath(token.key)
                    var record = token
                    let existing: AccessToken?
                    do {
                        existing = try self.readAccess(path, key: token.key, operation: operation)
                    } catch let error as TokenStoreError where error.code == .corruptedRecord {
                        // A damaged record is replaced by the new token.
                        self.logger.warning(
                            "replacing a damaged access token file",
                            metadata: ["store": "\(self.displayName)", "file": "\(path)"])
                        existing = nil
                    }
                    if let existing {
                        if policy == .ifNewer, token.updatedAt <= existing.updatedAt { continue }
                        record.createdAt = existing.createdAt
                    }
                    try FileSystem.writeAtomically(FileRecord(record).encoded(), to: path, directory: self.accessDirectory)
                    written += 1
                }
                if written > 0 { try FileSystem.syncDirectory(self.accessDirectory) }
                return written
            }
        }
    }

    @discardableResult
    public func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy) async throws -> Int {
        try await saveTokenSets(tokenSets, policy: policy, operation: "saveTokenSets")
    }

    /// Writes `tokenSets` under the lock, one atomic file each, and fsyncs the directory
    /// once; ``saveTokenSet(_:policy:)`` is a batch of one. An existing record keeps its
    /// `createdAt` and lease and counts its version up; a new one is version 1.
    func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy, operation: String) async throws -> Int {
        if closed { throw closedError(operation) }
        if tokenSets.isEmpty { return 0 }
        return try await underLock(operation) {
            var written = 0
            for tokenSet in tokenSets {
                let path = self.tokenSetPath(tokenSet.key)
                var record = tokenSet
                let existing: StoredTokenSet?
                do {
                    existing = try self.readTokenSet(path, key: tokenSet.key, operation: operation)
                } catch let error as TokenStoreError where error.code == .corruptedRecord {
                    // A damaged record is replaced by the new token set, as a new key.
                    self.logger.warning(
                        "replacing a damaged token set file",
                        metadata: ["store": "\(self.displayName)", "file": "\(path)"])
                    existing = nil
                }
                if let existing {
                    if policy == .ifNewer, tokenSet.updatedAt <= existing.tokenSet.updatedAt { continue }
                    record.createdAt = existing.tokenSet.createdAt
                    // Below Int64.max: the decoder refuses a version that could overflow.
                    record.version = existing.tokenSet.version + 1
                } else {
                    record.version = 1
                }
                try FileSystem.writeAtomically(
                    FileRecord(record, lease: existing?.lease).encoded(), to: path, directory: self.tokenSetDirectory)
                written += 1
            }
            if written > 0 { try FileSystem.syncDirectory(self.tokenSetDirectory) }
            return written
        }
    }
}
