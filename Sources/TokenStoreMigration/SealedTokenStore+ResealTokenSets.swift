import Foundation
import TokenStoreKit
import TokenStoreSealing

/// The token-set phase of a re-seal. Unlike an access token, a token set is never written
/// back blindly: a worker refreshing it meanwhile would see its rotated refresh token
/// overwritten by the old one, and the user signed out. So each set is re-sealed under its
/// refresh lease with a compare-and-set on the version read; a set whose lease another
/// process holds, or that keeps changing, is skipped and left for the next run.
extension SealedTokenStore {
    /// How one token set's re-seal ended.
    enum TokenSetReseal {
        case resealed(wasPlaintext: Bool)
        case alreadyPrimary
        case skipped
    }

    /// How long the re-seal holds a set's refresh lease: one read and one write.
    static let resealLease: Duration = .seconds(30)

    /// Re-seals the token sets after the checkpoint's cursor, saving a checkpoint after
    /// each page; `false` when stopped early.
    func resealTokenSets(
        _ state: inout MigrationCheckpoint, pageSize: Int, total: Int, readThisRun: inout Int,
        lastSaved: inout MigrationCheckpoint?, control: MigrationControl,
        checkpoint: @Sendable (MigrationCheckpoint) async throws -> Void,
        progress: @Sendable (MigrationProgress) -> Void
    ) async throws -> Bool {
        let owner = "tokenstore-rekey-\(UUID().uuidString)"
        var cursor = state.tokenSetCursor?.accessTokenKey
        repeat {
            let page = try await relabel { try await $0.listTokenSets(after: cursor, limit: pageSize) }
            for stored in page.tokenSets where !isUnderPrimary(stored) {
                // Opened before anything is written, so a set that does not open stops the run untouched.
                _ = try open(stored, operation: "reseal")
                switch try await reseal(stored, owner: owner) {
                case .resealed(let wasPlaintext):
                    state.counts.tokenSetWritten += 1
                    if wasPlaintext { state.counts.tokenSetPlaintext += 1 }
                case .alreadyPrimary: break
                case .skipped: state.counts.tokenSetSkipped += 1
                }
            }
            state.counts.tokenSetRead += page.tokenSets.count
            readThisRun += page.tokenSets.count
            cursor = page.nextCursor
            if let next = cursor ?? page.tokenSets.last?.key { state.tokenSetCursor = MigrationCheckpoint.Key(next) }
            if !page.tokenSets.isEmpty {
                state.savedAt = Date()
                try await checkpoint(state)
                lastSaved = state
                progress(MigrationProgress(phase: state.phase, counts: state.counts, total: total, readThisRun: readThisRun))
            }
            if cursor != nil, control.isStopRequested { return false }
        } while cursor != nil
        return true
    }

    /// Re-seals one token set under its refresh lease, by compare-and-set on its version;
    /// re-read once when it changed since the listing.
    private func reseal(_ listed: OAuth2TokenSet, owner: String) async throws -> TokenSetReseal {
        let key = listed.key
        guard try await relabel({ try await $0.acquireRefreshLease(for: key, owner: owner, duration: Self.resealLease) })
        else {
            return .skipped  // another worker is refreshing it, or it was deleted
        }
        do {
            var current = listed
            for attempt in 0..<2 {
                // `replaceTokenSet` seals under the primary and clears the lease (ours).
                if try await replaceTokenSet(try open(current, operation: "reseal"), ifVersion: current.version) != nil {
                    return .resealed(wasPlaintext: hasPlaintext(current))
                }
                guard attempt == 0, let fresh = try await relabel({ try await $0.tokenSet(for: key) }) else { break }
                if isUnderPrimary(fresh) {
                    try await relabel { _ = try await $0.releaseRefreshLease(for: key, owner: owner) }
                    return .alreadyPrimary
                }
                current = fresh
            }
            _ = try? await relabel { try await $0.releaseRefreshLease(for: key, owner: owner) }
            return .skipped
        } catch {
            _ = try? await relabel { try await $0.releaseRefreshLease(for: key, owner: owner) }
            throw error
        }
    }

    /// The stored access, refresh and ID tokens that are present.
    private static func storedSecrets(_ tokenSet: OAuth2TokenSet) -> [String] {
        [tokenSet.accessToken, tokenSet.refreshToken, tokenSet.idToken].compactMap(\.self)
    }

    /// Whether every secret of the stored set is sealed under the primary key.
    func isUnderPrimary(_ tokenSet: OAuth2TokenSet) -> Bool {
        Self.storedSecrets(tokenSet).allSatisfy { Self.sealingKeyID(ofStoredSecret: $0) == keys.primary.id }
    }

    private func hasPlaintext(_ tokenSet: OAuth2TokenSet) -> Bool {
        Self.storedSecrets(tokenSet).contains { Self.sealingKeyID(ofStoredSecret: $0) == nil }
    }
}
