import Foundation
import Synchronization
import Logging
import TokenStoreKit

extension FileTokenStore {
    /// The most tokens one listing page returns; a larger `limit` gives pages of this
    /// size (with a next cursor), so a page never holds an unbounded amount of memory.
    public static let maxPageSize = 10_000

    func accessPath(_ key: AccessTokenKey) -> String {
        accessDirectory + "/" + FileRecordNames.access(key)
    }

    /// Reads the access token at `path`; `nil` when absent or when the file holds
    /// another key (a hashed name shared by two keys).
    func readAccess(_ path: String, key: AccessTokenKey?, operation: String) throws -> AccessToken? {
        let bytes: [UInt8]
        do {
            guard let read = try FileSystem.readFile(path) else { return nil }
            bytes = read
        } catch let failure {
            throw self.error(failure, operation)
        }
        let token: AccessToken
        do throws(FileRecord.Problem) {
            token = try FileRecord.decodeAccessToken(bytes)
        } catch {
            throw corrupted(path, operation, error.reason)
        }
        if let key, token.key != key {
            if case .named = FileRecordNames.parseAccess((path as NSString).lastPathComponent) {
                throw corrupted(path, operation)
            }
            return nil
        }
        return token
    }

    public func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        // Inline: one small read from the page cache costs less than a thread hop.
        if closed { throw closedError("accessToken") }
        return try readAccess(accessPath(key), key: key, operation: "accessToken")
    }

    @discardableResult
    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try await saveAccessTokens([token], policy: policy, operation: "saveAccessToken") == 1
    }

    @discardableResult
    public func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        let path = accessPath(key)
        return try await onQueue("deleteAccessToken") {
            guard let lock = self.lockFile.withLock({ $0 }) else { throw self.closedError("deleteAccessToken") }
            return try FileSystem.withExclusiveLock(lock, path: self.directory + "/lock") {
                if case .hashed = FileRecordNames.parseAccess((path as NSString).lastPathComponent) {
                    guard (try? self.readAccess(path, key: key, operation: "deleteAccessToken")) != nil else { return false }
                }
                guard try FileSystem.unlinkIfPresent(path) else { return false }
                try FileSystem.syncDirectory(self.accessDirectory)
                return true
            }
        }
    }

    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        guard limit >= 1 else {
            if closed { throw closedError("listAccessTokens") }
            throw TokenStoreError(
                .invalidArgument, store: displayName, operation: "listAccessTokens",
                message: "limit must be at least 1, got \(limit)")
        }
        let limit = min(limit, Self.maxPageSize)
        return try await onQueue("listAccessTokens") {
            var page = BoundedSmallest<AccessTokenKey, String>(capacity: limit + 1)
            try FileSystem.forEachEntry(self.accessDirectory) { name in
                let key: AccessTokenKey
                switch FileRecordNames.parseAccess(name) {
                case .other:
                    return
                case .named(let provider, let userID):
                    key = AccessTokenKey(provider: provider, userID: userID ?? "")
                case .hashed:
                    guard let token = self.scanAccess(self.accessDirectory + "/" + name, key: nil) else { return }
                    key = token.key
                }
                if let cursor, !(cursor < key) { return }
                page.insert(key, name)
            }
            // Read only the page's files, after the scan picked them.
            var tokens: [AccessToken] = []
            let count = min(limit, page.keys.count)
            for index in 0..<count {
                let path = self.accessDirectory + "/" + page.values[index]
                if let token = self.scanAccess(path, key: page.keys[index]) { tokens.append(token) }
            }
            let next = page.keys.count > limit ? page.keys[limit - 1] : nil
            return AccessTokenPage(tokens: tokens, nextCursor: next)
        }
    }

    /// Reads an access record for a scan; logs and returns `nil` for a damaged one.
    func scanAccess(_ path: String, key: AccessTokenKey?) -> AccessToken? {
        do {
            return try readAccess(path, key: key, operation: "listAccessTokens")
        } catch {
            logger.warning(
                "skipping an access token file that cannot be read as a record",
                metadata: ["store": "\(displayName)", "file": "\(path)", "error": "\(error)"])
            return nil
        }
    }
}
