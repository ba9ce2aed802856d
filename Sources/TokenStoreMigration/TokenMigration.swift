import Foundation
import TokenStoreKit
import TokenStoreSealing

/// Copies tokens from one store to another by keyset-cursor pages, one batch write per
/// page, resumable from a ``MigrationCheckpoint``; the engine behind `tokenstore migrate`.
///
/// ```swift
/// var migration = TokenMigration(from: source, to: destination)
/// migration.batchSize = 1000
/// let summary = try await migration.run(checkpoint: { try await file.persist($0) })
/// ```
///
/// - Memory stays flat: at most the page being written and the next page (read while the
///   current batch is written) are held.
/// - Order: access tokens, then OAuth 2.0 token sets, then request tokens, each in key order.
/// - Idempotent: access tokens and token sets are written with `WritePolicy.ifNewer`
///   (unless ``policy`` says otherwise) and request tokens are upserts keeping their own
///   `expiresAt`, so running twice, or replaying the last batch after a crash, leaves the
///   destination the same. Expired request tokens are skipped.
/// - A token set's `version` is not copied: the destination assigns its own (1 for a new
///   key), as every store does on a save; every other field is copied as stored (its
///   refresh lease, which is not part of the token set, is not).
/// - The checkpoint handler is called after each batch is committed, never before, so a
///   resumed run neither loses nor duplicates.
/// - Sealed secrets (`SealedTokenStore`) are copied as stored by default; every sealed
///   record is opened with ``keys`` before its batch is written, so a missing or wrong key
///   fails with a `TokenStoreError.Code.sealing` error naming the record before the batch
///   holding it is written (for the first page: before anything is written).
public struct TokenMigration: Sendable {
    /// Which kinds of token to copy.
    public enum Kinds: String, Sendable, CaseIterable {
        /// Access tokens, then OAuth 2.0 token sets, then request tokens.
        case all
        /// Access tokens only.
        case accessTokens = "access-tokens"
        /// OAuth 2.0 token sets only.
        case tokenSets = "token-sets"
        /// Request tokens only.
        case requestTokens = "request-tokens"

        /// The checkpoint's `only` value.
        var only: String? { self == .all ? nil : rawValue }
        var includesAccess: Bool { self == .all || self == .accessTokens }
        var includesTokenSets: Bool { self == .all || self == .tokenSets }
        var includesRequest: Bool { self == .all || self == .requestTokens }
    }

    /// What happens to token secrets on the way.
    public enum SecretHandling: String, Sendable, CaseIterable {
        /// Copy each secret exactly as stored: sealed stays sealed (checked with ``keys``),
        /// plain stays plain.
        case verbatim
        /// Open sealed secrets and write them plain (needs ``keys``).
        case unseal
        /// Write every secret sealed under ``keys``' primary key (plain ones sealed, sealed
        /// ones re-sealed).
        case seal
    }

    /// The store read from; given unwrapped (a `SealedTokenStore` would open secrets itself).
    public let source: any TokenStore
    /// The store written to, unwrapped.
    public let destination: any TokenStore
    /// The source's name in the checkpoint (redacted when stored).
    public var sourceName: String
    /// The destination's name in the checkpoint (redacted when stored).
    public var destinationName: String
    /// Tokens per page and per batch write (at least 1).
    public var batchSize = 20_000
    /// Which kinds of token to copy.
    public var kinds = Kinds.all
    /// The write policy for access tokens and token sets.
    public var policy = WritePolicy.ifNewer
    /// Read and check everything, write nothing, save no checkpoint.
    public var dryRun = false
    /// What happens to secrets.
    public var secrets = SecretHandling.verbatim
    /// The keys that open sealed source records (and seal with ``SecretHandling/seal``).
    public var keys: SealingKeyRing?

    /// A migration from `source` to `destination` with the default options.
    public init(from source: any TokenStore, to destination: any TokenStore) {
        self.source = source
        self.destination = destination
        self.sourceName = source.displayName
        self.destinationName = destination.displayName
    }

    /// The checkpoint a fresh run of this migration starts from; compare a saved one with
    /// ``MigrationCheckpoint/conflicts(with:)`` before resuming it.
    public var initialCheckpoint: MigrationCheckpoint {
        MigrationCheckpoint(
            operation: .migrate, source: sourceName, destination: destinationName, only: kinds.only,
            secrets: secrets.rawValue)
    }

    /// Whether ``verify(pageSize:differenceLimit:)`` should compare opened secrets: when
    /// the copy transformed them.
    var verifiesOpenedSecrets: Bool { secrets != .verbatim }

    /// Runs the migration.
    ///
    /// - Parameters:
    ///   - resume: a checkpoint saved by an earlier run of the same migration; copying
    ///     continues after its cursor and its counts are carried on.
    ///   - control: checked after each batch; a stop request ends the run with
    ///     ``MigrationSummary/interrupted`` set.
    ///   - checkpoint: called with the new checkpoint after each batch is committed (not in
    ///     a dry run); an error it throws stops the run.
    ///   - progress: called after each batch.
    /// - Throws: `TokenStoreError` from either store or for a sealed record that does not
    ///   open; whatever `checkpoint` throws; `TokenStoreError/Code/invalidArgument` for a
    ///   checkpoint of another migration or missing keys.
    public func run(
        resume: MigrationCheckpoint? = nil,
        control: MigrationControl = MigrationControl(),
        checkpoint: @escaping @Sendable (MigrationCheckpoint) async throws -> Void = { _ in },
        progress: @escaping @Sendable (MigrationProgress) -> Void = { _ in }
    ) async throws -> MigrationSummary {
        try validate(resume: resume)
        var copier = MigrationCopier(
            migration: self, state: resume ?? initialCheckpoint, control: control, checkpoint: checkpoint,
            progress: progress)
        return try await copier.run(resumed: resume != nil)
    }

    private func validate(resume: MigrationCheckpoint?) throws {
        guard batchSize >= 1 else { throw invalid("the batch size must be at least 1") }
        if secrets != .verbatim, keys == nil {
            throw invalid("\(secrets.rawValue) needs sealing keys")
        }
        if let resume {
            let conflicts = resume.conflicts(with: initialCheckpoint)
            guard conflicts.isEmpty else {
                throw invalid("the checkpoint belongs to another migration: " + conflicts.joined(separator: "; "))
            }
        }
    }

    func invalid(_ message: String) -> TokenStoreError {
        TokenStoreError(.invalidArgument, store: destinationName, operation: "migrate", message: message)
    }
}
