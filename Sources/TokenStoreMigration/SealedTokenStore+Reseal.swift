import Foundation
import TokenStoreKit
import TokenStoreSealing

/// What `SealedTokenStore.reseal(pageSize:includeRequestTokens:storeName:resume:control:checkpoint:progress:)` did.
public struct ResealReport: Sendable, Hashable, CustomStringConvertible {
    /// Access tokens re-sealed under the primary key (from an older key or from plain text).
    public var resealed: Int
    /// Of the re-sealed access tokens, how many were plain text before.
    public var wasPlaintext: Int
    /// Access tokens already sealed under the primary key, left untouched.
    public var alreadyPrimary: Int
    /// Access tokens still not sealed under the primary key after the run, counted by a
    /// second pass (zero unless another writer used an older key meanwhile).
    public var remainingOnOtherKeys: Int
    /// OAuth 2.0 token sets re-sealed under the primary key.
    public var tokenSetResealed = 0
    /// Of the re-sealed token sets, how many held a plain-text secret before.
    public var tokenSetWasPlaintext = 0
    /// Token sets already under the primary key.
    public var tokenSetAlreadyPrimary = 0
    /// Token sets left as they were because another process held their refresh lease or
    /// changed them meanwhile (run again to re-seal them).
    public var tokenSetSkipped = 0
    /// Token sets still not under the primary key after the run (counted by the second pass).
    public var tokenSetRemainingOnOtherKeys = 0
    /// Request tokens re-sealed (taken and saved again with the same `expiresAt`).
    public var requestResealed = 0
    /// Of the re-sealed request tokens, how many were plain text before.
    public var requestWasPlaintext = 0
    /// Request tokens already under the primary key.
    public var requestAlreadyPrimary = 0
    /// Request tokens taken by a callback (or expired) between the listing and the re-seal.
    public var requestGone = 0
    /// Request tokens still not under the primary key after the run (counted by the second pass).
    public var requestRemainingOnOtherKeys = 0
    /// Whether request tokens were re-sealed at all.
    public var includedRequestTokens = false
    /// Whether the run stopped early on ``MigrationControl/requestStop()`` (then the
    /// remaining counts were not taken).
    public var interrupted = false
    /// The last checkpoint saved, when interrupted.
    public var checkpoint: MigrationCheckpoint?

    /// Creates a report.
    public init(resealed: Int, wasPlaintext: Int, alreadyPrimary: Int, remainingOnOtherKeys: Int) {
        self.resealed = resealed
        self.wasPlaintext = wasPlaintext
        self.alreadyPrimary = alreadyPrimary
        self.remainingOnOtherKeys = remainingOnOtherKeys
    }

    public var description: String {
        var text = "re-sealed \(resealed) access tokens (\(wasPlaintext) were plain text), \(alreadyPrimary) already "
            + "under the primary key"
        text += "; re-sealed \(tokenSetResealed) token sets (\(tokenSetWasPlaintext) were plain text), "
            + "\(tokenSetAlreadyPrimary) already under the primary key"
        if tokenSetSkipped > 0 { text += ", \(tokenSetSkipped) being refreshed or changed meanwhile (run again)" }
        if includedRequestTokens {
            text += "; re-sealed \(requestResealed) request tokens (\(requestWasPlaintext) were plain text), "
                + "\(requestAlreadyPrimary) already under the primary key"
            if requestGone > 0 { text += ", \(requestGone) taken or expired meanwhile" }
        }
        if interrupted { return text + "; interrupted before the end" }
        text += "; \(remainingOnOtherKeys) access tokens still under other keys or plain"
        if includedRequestTokens {
            text += ", \(requestRemainingOnOtherKeys) request tokens still under other keys or plain"
        }
        return text + ", \(tokenSetRemainingOnOtherKeys) token sets still under other keys or plain"
    }
}

extension SealedTokenStore {
    /// Re-seals every access token and OAuth 2.0 token set under the primary key, page by
    /// page in key order; see
    /// ``reseal(pageSize:includeRequestTokens:storeName:resume:control:checkpoint:progress:)``
    /// (this leaves request tokens alone).
    ///
    /// - Parameter pageSize: records read and written per round trip.
    /// - Throws: `TokenStoreError` from the wrapped store, or `TokenStoreError.Code.sealing`
    ///   naming a record that does not open.
    public func resealAccessTokens(pageSize: Int = 500) async throws -> ResealReport {
        try await reseal(pageSize: pageSize, includeRequestTokens: false)
    }

    /// The checkpoint a fresh ``reseal(pageSize:includeRequestTokens:storeName:resume:control:checkpoint:progress:)``
    /// starts from: compare a saved one with ``MigrationCheckpoint/conflicts(with:)``.
    ///
    /// - Parameters:
    ///   - storeName: the store's URL or name (redacted when stored); default `displayName`.
    ///   - includeRequestTokens: whether request tokens are re-sealed too.
    public func resealCheckpoint(storeName: String? = nil, includeRequestTokens: Bool = true) -> MigrationCheckpoint {
        let name = storeName ?? wrapped.displayName
        return MigrationCheckpoint(
            operation: .rekey, source: name, destination: name,
            only: includeRequestTokens ? nil : MigrationCheckpoint.Phase.accessTokens.rawValue,
            secrets: "reseal:\(keys.primary.id)")
    }

    /// Re-seals every record under the primary key, page by page in key order, resumable
    /// from a checkpoint; then counts the records still under other keys.
    ///
    /// Records already under the primary are skipped, so a second run is cheap. Access
    /// tokens are re-written with `WritePolicy.overwrite` keeping their `createdAt` and
    /// `updatedAt`; a token re-written by another process between this run's read and
    /// write of its page is overwritten with the value read, so run it when no
    /// re-authorization is in flight, or with a small page size.
    ///
    /// OAuth 2.0 token sets come next, one at a time: each is re-sealed under its refresh
    /// lease by `replaceTokenSet(_:ifVersion:)` on the version read (so its version goes up
    /// by one and every other field, `updatedAt` included, is kept), never over a refresh in
    /// flight; a set whose lease another process holds is skipped
    /// (``ResealReport/tokenSetSkipped``) and re-sealed by the next run.
    ///
    /// Request tokens (unless `includeRequestTokens` is `false`) are checked to open, then
    /// taken and saved again sealed under the primary with the same `expiresAt`. The
    /// atomic take means a token a callback took meanwhile is not brought back
    /// (``ResealReport/requestGone``). In the short window between take and save, a callback
    /// for that token finds nothing and the user has to start the authorization again.
    ///
    /// Plain secrets are sealed when the store allows plain text, otherwise they stop the
    /// run with a `TokenStoreError.Code.sealing` error.
    ///
    /// - Parameters:
    ///   - pageSize: records read and written per round trip.
    ///   - includeRequestTokens: re-seal request tokens too.
    ///   - storeName: the name saved in checkpoints (default the wrapped store's name).
    ///   - resume: a checkpoint of an earlier run of the same re-seal.
    ///   - control: checked after each page; a stop request ends the run early.
    ///   - checkpoint: called after each committed page.
    ///   - progress: called after each page.
    /// - Throws: `TokenStoreError` from the wrapped store, `TokenStoreError.Code.sealing`
    ///   naming a record that does not open, `TokenStoreError.Code.invalidArgument` for a
    ///   checkpoint of another run, or whatever `checkpoint` throws.
    public func reseal(
        pageSize: Int = 500,
        includeRequestTokens: Bool = true,
        storeName: String? = nil,
        resume: MigrationCheckpoint? = nil,
        control: MigrationControl = MigrationControl(),
        checkpoint: @escaping @Sendable (MigrationCheckpoint) async throws -> Void = { _ in },
        progress: @escaping @Sendable (MigrationProgress) -> Void = { _ in }
    ) async throws -> ResealReport {
        guard pageSize >= 1 else {
            throw TokenStoreError(.invalidArgument, store: displayName, operation: "reseal", message: "the page size must be at least 1")
        }
        let initial = resealCheckpoint(storeName: storeName, includeRequestTokens: includeRequestTokens)
        if let resume {
            let conflicts = resume.conflicts(with: initial)
            guard conflicts.isEmpty else {
                throw TokenStoreError(
                    .invalidArgument, store: displayName, operation: "reseal",
                    message: "the checkpoint belongs to another run: " + conflicts.joined(separator: "; "))
            }
        }
        var state = resume ?? initial
        var lastSaved = resume
        var readThisRun = 0
        let counts = try await counts()
        let total = counts.accessTokens + counts.tokenSets + (includeRequestTokens ? counts.requestTokens : 0)
        // A checkpoint of a release without token sets, past its access tokens.
        if state.owesTokenSets(true) { state.phase = .tokenSets }

        if state.phase == .accessTokens {
            var cursor = state.accessCursor?.accessTokenKey
            repeat {
                let page = try await relabel { try await $0.listAccessTokens(after: cursor, limit: pageSize) }
                var batch: [AccessToken] = []
                for stored in page.tokens {
                    let keyID = Self.sealingKeyID(ofStoredSecret: stored.secret)
                    if keyID == keys.primary.id { continue }
                    if keyID == nil { state.counts.plaintext += 1 }
                    batch.append(try open(stored, operation: "reseal"))
                }
                if !batch.isEmpty {
                    state.counts.accessWritten += try await saveAccessTokens(batch, policy: .overwrite)
                }
                state.counts.accessRead += page.tokens.count
                readThisRun += page.tokens.count
                cursor = page.nextCursor
                if let next = cursor ?? page.tokens.last?.key { state.accessCursor = MigrationCheckpoint.Key(next) }
                if !page.tokens.isEmpty {
                    state.savedAt = Date()
                    try await checkpoint(state)
                    lastSaved = state
                    progress(MigrationProgress(phase: state.phase, counts: state.counts, total: total, readThisRun: readThisRun))
                }
                if cursor != nil, control.isStopRequested {
                    return report(state, includeRequestTokens, interrupted: true, checkpoint: lastSaved)
                }
            } while cursor != nil
            state.phase = .tokenSets
        }

        if state.phase == .tokenSets {
            guard try await resealTokenSets(
                &state, pageSize: pageSize, total: total, readThisRun: &readThisRun, lastSaved: &lastSaved,
                control: control, checkpoint: checkpoint, progress: progress)
            else {
                return report(state, includeRequestTokens, interrupted: true, checkpoint: lastSaved)
            }
            state.tokenSetsDone = true
            state.phase = includeRequestTokens ? .requestTokens : .finished
        }

        if state.phase == .requestTokens {
            var cursor = state.requestCursor
            repeat {
                let page = try await relabel { try await $0.listRequestTokens(after: cursor, limit: pageSize) }
                for stored in page.tokens {
                    let keyID = Self.sealingKeyID(ofStoredSecret: stored.secret)
                    if keyID == keys.primary.id { continue }
                    // Opened before the take, so a record that does not open is never removed.
                    _ = try open(stored, operation: "reseal")
                    guard let taken = try await relabel({ try await $0.takeRequestToken(stored.token) }) else {
                        state.counts.requestSkipped += 1
                        continue
                    }
                    if Self.sealingKeyID(ofStoredSecret: taken.secret) == nil { state.counts.requestPlaintext += 1 }
                    do {
                        try await saveRequestToken(try open(taken, operation: "reseal"))
                    } catch {
                        // Put the record back as it was rather than lose a sign-in in flight;
                        // if the store is gone this fails too and the error says why.
                        try? await wrapped.saveRequestToken(taken)
                        throw error
                    }
                    state.counts.requestWritten += 1
                }
                state.counts.requestRead += page.tokens.count
                readThisRun += page.tokens.count
                cursor = page.nextCursor
                if let next = cursor ?? page.tokens.last?.token { state.requestCursor = next }
                if !page.tokens.isEmpty {
                    state.savedAt = Date()
                    try await checkpoint(state)
                    lastSaved = state
                    progress(MigrationProgress(phase: state.phase, counts: state.counts, total: total, readThisRun: readThisRun))
                }
                if cursor != nil, control.isStopRequested {
                    return report(state, includeRequestTokens, interrupted: true, checkpoint: lastSaved)
                }
            } while cursor != nil
            state.phase = .finished
        }

        var final = report(state, includeRequestTokens, interrupted: false, checkpoint: nil)
        var accessCursor: AccessTokenKey?
        repeat {
            let page = try await relabel { try await $0.listAccessTokens(after: accessCursor, limit: pageSize) }
            final.remainingOnOtherKeys += page.tokens.count {
                Self.sealingKeyID(ofStoredSecret: $0.secret) != keys.primary.id
            }
            accessCursor = page.nextCursor
        } while accessCursor != nil
        var tokenSetCursor: AccessTokenKey?
        repeat {
            let page = try await relabel { try await $0.listTokenSets(after: tokenSetCursor, limit: pageSize) }
            final.tokenSetRemainingOnOtherKeys += page.tokenSets.count { !isUnderPrimary($0) }
            tokenSetCursor = page.nextCursor
        } while tokenSetCursor != nil
        if includeRequestTokens {
            var requestCursor: String?
            repeat {
                let page = try await relabel { try await $0.listRequestTokens(after: requestCursor, limit: pageSize) }
                final.requestRemainingOnOtherKeys += page.tokens.count {
                    Self.sealingKeyID(ofStoredSecret: $0.secret) != keys.primary.id
                }
                requestCursor = page.nextCursor
            } while requestCursor != nil
        }
        return final
    }

    private func report(
        _ state: MigrationCheckpoint, _ includeRequestTokens: Bool, interrupted: Bool, checkpoint: MigrationCheckpoint?
    ) -> ResealReport {
        let counts = state.counts
        var report = ResealReport(
            resealed: counts.accessWritten, wasPlaintext: counts.plaintext,
            alreadyPrimary: counts.accessRead - counts.accessWritten, remainingOnOtherKeys: 0)
        report.tokenSetResealed = counts.tokenSetWritten
        report.tokenSetWasPlaintext = counts.tokenSetPlaintext
        report.tokenSetSkipped = counts.tokenSetSkipped
        report.tokenSetAlreadyPrimary = counts.tokenSetRead - counts.tokenSetWritten - counts.tokenSetSkipped
        report.includedRequestTokens = includeRequestTokens
        report.requestResealed = counts.requestWritten
        report.requestWasPlaintext = counts.requestPlaintext
        report.requestGone = counts.requestSkipped
        report.requestAlreadyPrimary = counts.requestRead - counts.requestWritten - counts.requestSkipped
        report.interrupted = interrupted
        report.checkpoint = interrupted ? checkpoint : nil
        return report
    }
}
