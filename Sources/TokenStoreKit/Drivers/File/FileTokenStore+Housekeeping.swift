import Foundation
import Synchronization

extension FileTokenStore {
    /// Counts request tokens that have not expired (reading each, skipping damaged ones)
    /// and access token records by file name (a damaged access record still counts).
    public func counts() async throws -> TokenCounts {
        let now = clock.now()
        return try await onQueue("counts") {
            var access = 0
            try FileSystem.forEachEntry(self.accessDirectory) { name in
                if case .other = FileRecordNames.parseAccess(name) { return }
                access += 1
            }
            var requests = 0
            try FileSystem.forEachEntry(self.requestDirectory) { name in
                if case .other = FileRecordNames.parseRequest(name) { return }
                if let token = self.readRequest(self.requestDirectory + "/" + name, operation: "counts"), !token.isExpired(at: now) {
                    requests += 1
                }
            }
            return TokenCounts(requestTokens: requests, accessTokens: access)
        }
    }

    /// Counts access tokens by the provider in their file names; only records whose name is
    /// a hash (long keys) are read. A damaged hashed record is skipped, as listing does.
    public func countAccessTokensByProvider() async throws -> AccessTokenCounts {
        if closed { throw closedError("countAccessTokensByProvider") }
        return try await onQueue("countAccessTokensByProvider") {
            var counts = AccessTokenCounts(byProvider: [:])
            try FileSystem.forEachEntry(self.accessDirectory) { name in
                switch FileRecordNames.parseAccess(name) {
                case .other:
                    return
                case .named(let provider, _):
                    counts.add(provider)
                case .hashed:
                    if let token = self.scanAccess(self.accessDirectory + "/" + name, key: nil) { counts.add(token.provider) }
                }
            }
            return counts
        }
    }

    /// The schema version of the directory, read when the store was opened (1).
    public func schemaVersion() async throws -> Int {
        if closed { throw closedError("schemaVersion") }
        return Self.currentSchemaVersion
    }

    /// Closes the lock file after the writes already queued. Later calls throw
    /// ``TokenStoreError/Code/closed``; closing twice is harmless.
    public func close() async throws {
        markClosed()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.lockFile.withLock { fd in
                    if let descriptor = fd { FileSystem.closeDescriptor(descriptor) }
                    fd = nil
                }
                continuation.resume()
            }
        }
    }
}
