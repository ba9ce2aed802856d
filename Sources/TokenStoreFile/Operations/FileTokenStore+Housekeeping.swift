import Foundation
import Synchronization
import TokenStoreKit

extension FileTokenStore {
    /// Counts request tokens that have not expired (reading each, skipping damaged ones)
    /// and access token and token set records by file name (a damaged record still counts).
    public func counts() async throws -> TokenCounts {
        let now = clock.now()
        return try await onQueue("counts") {
            var access = 0
            try FileSystem.forEachEntry(self.accessDirectory) { name in
                if case .other = FileRecordNames.parseAccess(name) { return }
                access += 1
            }
            var tokenSets = 0
            try FileSystem.forEachEntry(self.tokenSetDirectory) { name in
                if case .other = FileRecordNames.parseAccess(name) { return }
                tokenSets += 1
            }
            var requests = 0
            try FileSystem.forEachEntry(self.requestDirectory) { name in
                if case .other = FileRecordNames.parseRequest(name) { return }
                if let token = self.readRequest(self.requestDirectory + "/" + name, operation: "counts"), !token.isExpired(at: now) {
                    requests += 1
                }
            }
            return TokenCounts(requestTokens: requests, accessTokens: access, tokenSets: tokenSets)
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

    /// Removes expired request tokens (claiming each before removing it, so a token saved
    /// again meanwhile stays) and temp and claim files left by a process that died.
    public func purgeExpiredRequestTokens() async throws -> Int {
        let now = clock.now()
        return try await onQueue("purgeExpiredRequestTokens") {
            var purged = 0
            var expired: [String] = []
            var leftovers: [String] = []
            try FileSystem.forEachEntry(self.requestDirectory) { name in
                let path = self.requestDirectory + "/" + name
                if name.hasPrefix(".tmp-") || name.hasPrefix(".claim-") {
                    // Left by a process that died mid-write or mid-take.
                    if let age = FileSystem.age(path), age > 3600 { leftovers.append(path) }
                    return
                }
                guard case .other = FileRecordNames.parseRequest(name) else {
                    if let token = self.readRequest(path, operation: "purgeExpiredRequestTokens"), token.isExpired(at: now) {
                        expired.append(path)
                    }
                    return
                }
            }
            for path in expired {
                // Claim first, then check again: a save may have replaced it meanwhile.
                let claim = self.claimPath()
                guard try FileSystem.renameIfPresent(path, claim) else { continue }
                let bytes = try FileSystem.readFile(claim) ?? []
                if let token = try? FileRecord.decodeRequestToken(bytes), token.isExpired(at: now) {
                    _ = try FileSystem.unlinkIfPresent(claim)
                    purged += 1
                } else {
                    FileSystem.restore(claim, to: path)
                }
            }
            for path in leftovers { _ = try? FileSystem.unlinkIfPresent(path) }
            if purged > 0 || !leftovers.isEmpty { try FileSystem.syncDirectory(self.requestDirectory) }
            return purged
        }
    }
}
