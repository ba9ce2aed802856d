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
        try readKeyed(path, key: key, operation: operation, decode: FileRecord.decodeAccessToken, key: { $0.key })
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
        try await deleteKeyed("deleteAccessToken", key: key, path: accessPath(key), directory: accessDirectory) {
            try self.readAccess($0, key: $1, operation: $2)
        }
    }

    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        let page = try await listKeyed(
            "listAccessTokens", directory: accessDirectory, after: cursor, limit: limit,
            scan: { self.scanAccess($0, key: $1) }, key: { $0.key })
        return AccessTokenPage(tokens: page.records, nextCursor: page.nextCursor)
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
