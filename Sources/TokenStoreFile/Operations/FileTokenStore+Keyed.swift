import Foundation
import TokenStoreKit

// Access tokens and token sets are both one record file per key, named alike in their own
// directory: one keyed read, one keyed delete and one keyset page reader serve both.
extension FileTokenStore {
    /// Reads the record at `path` with `decode`; `nil` when absent or when the file holds
    /// another key (a hashed name shared by two keys), `recordKey` telling a record's key.
    func readKeyed<Record>(
        _ path: String, key: AccessTokenKey?, operation: String,
        decode: ([UInt8]) throws(FileRecord.Problem) -> Record, key recordKey: (Record) -> AccessTokenKey
    ) throws -> Record? {
        let bytes: [UInt8]
        do {
            guard let read = try FileSystem.readFile(path) else { return nil }
            bytes = read
        } catch let failure {
            throw self.error(failure, operation)
        }
        let record: Record
        do throws(FileRecord.Problem) {
            record = try decode(bytes)
        } catch {
            throw corrupted(path, operation, error.reason)
        }
        if let key, recordKey(record) != key {
            if case .named = FileRecordNames.parseAccess((path as NSString).lastPathComponent) {
                throw corrupted(path, operation)
            }
            return nil
        }
        return record
    }

    /// Removes the record at `path` under the store's lock; a hashed name is removed only
    /// when `read` finds `key` in it (two keys can share a hashed name).
    func deleteKeyed<Record>(
        _ operation: String, key: AccessTokenKey, path: String, directory: String,
        read: @escaping @Sendable (String, AccessTokenKey?, String) throws -> Record?
    ) async throws -> Bool {
        try await underLock(operation) {
            if case .hashed = FileRecordNames.parseAccess((path as NSString).lastPathComponent) {
                guard (try? read(path, key, operation)) != nil else { return false }
            }
            guard try FileSystem.unlinkIfPresent(path) else { return false }
            try FileSystem.syncDirectory(directory)
            return true
        }
    }

    /// One keyset page of `directory`: the smallest keys after `cursor`, at most `limit`
    /// (capped at ``maxPageSize``), picked from the file names and then read by `scan`.
    func listKeyed<Record: Sendable>(
        _ operation: String, directory: String, after cursor: AccessTokenKey?, limit: Int,
        scan: @escaping @Sendable (String, AccessTokenKey?) -> Record?,
        key recordKey: @escaping @Sendable (Record) -> AccessTokenKey
    ) async throws -> (records: [Record], nextCursor: AccessTokenKey?) {
        guard limit >= 1 else {
            if closed { throw closedError(operation) }
            throw TokenStoreError(
                .invalidArgument, store: displayName, operation: operation,
                message: "limit must be at least 1, got \(limit)")
        }
        let limit = min(limit, Self.maxPageSize)
        return try await onQueue(operation) {
            var page = BoundedSmallest<AccessTokenKey, String>(capacity: limit + 1)
            try FileSystem.forEachEntry(directory) { name in
                let key: AccessTokenKey
                switch FileRecordNames.parseAccess(name) {
                case .other:
                    return
                case .named(let provider, let userID):
                    key = AccessTokenKey(provider: provider, userID: userID ?? "")
                case .hashed:
                    guard let record = scan(directory + "/" + name, nil) else { return }
                    key = recordKey(record)
                }
                if let cursor, !(cursor < key) { return }
                page.insert(key, name)
            }
            // Read only the page's files, after the scan picked them.
            var records: [Record] = []
            let count = min(limit, page.keys.count)
            for index in 0..<count {
                if let record = scan(directory + "/" + page.values[index], page.keys[index]) { records.append(record) }
            }
            return (records, page.keys.count > limit ? page.keys[limit - 1] : nil)
        }
    }
}
