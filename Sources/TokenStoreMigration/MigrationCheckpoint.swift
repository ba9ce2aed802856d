import Foundation
import TokenStoreKit

/// Where a migration or a re-seal stopped: enough to continue after the last batch that
/// was committed, and to refuse continuing a different run.
///
/// A checkpoint is written after each batch is committed in the destination, so the
/// cursor never runs ahead of the data. It names the stores only by their redacted URLs
/// (`StoreURLRedaction`) and holds no secret; cursors are provider/user ids and
/// `oauth_token`s, which are not credentials.
public struct MigrationCheckpoint: Codable, Sendable, Hashable {
    /// What wrote the checkpoint.
    public enum Operation: String, Codable, Sendable {
        /// `tokenstore migrate` / ``TokenMigration``.
        case migrate
        /// `tokenstore rekey` / `SealedTokenStore.reseal(pageSize:includeRequestTokens:storeName:resume:control:checkpoint:progress:)`.
        case rekey
    }

    /// Which kind of token the run was copying when the checkpoint was saved.
    public enum Phase: String, Codable, Sendable {
        /// Access tokens, in `AccessTokenKey` order.
        case accessTokens = "access-tokens"
        /// Request tokens, in `oauth_token` order (every access token is done).
        case requestTokens = "request-tokens"
        /// Everything was copied; only the final steps were left.
        case finished
    }

    /// A Codable `AccessTokenKey`.
    public struct Key: Codable, Sendable, Hashable {
        /// The provider.
        public var provider: String
        /// The user id.
        public var userID: String

        /// Creates a key from an `AccessTokenKey`.
        public init(_ key: AccessTokenKey) {
            self.provider = key.provider
            self.userID = key.userID
        }

        /// The `AccessTokenKey` this names.
        public var accessTokenKey: AccessTokenKey { AccessTokenKey(provider: provider, userID: userID) }
    }

    /// The format version this code writes and reads.
    public static let currentVersion = 1

    /// The format version.
    public var version: Int
    /// What wrote it.
    public var operation: Operation
    /// The source store, redacted.
    public var source: String
    /// The destination store, redacted (the same as ``source`` for a re-seal).
    public var destination: String
    /// `access-tokens`, `request-tokens`, or `nil` for both.
    public var only: String?
    /// How secrets were handled (`verbatim`, `seal`, `unseal`; `reseal:<primary key id>` for rekey).
    public var secrets: String
    /// The phase the cursors belong to.
    public var phase: Phase
    /// The last access token key committed (phase ``Phase/accessTokens``).
    public var accessCursor: Key?
    /// The last request token committed (phase ``Phase/requestTokens``).
    public var requestCursor: String?
    /// What was done up to the cursor.
    public var counts: MigrationCounts
    /// When it was saved.
    public var savedAt: Date

    /// Creates a checkpoint at the start of a run: phase access tokens (or request tokens
    /// when only those are copied), no cursor, zero counts.
    public init(
        operation: Operation, source: String, destination: String, only: String?, secrets: String
    ) {
        self.version = Self.currentVersion
        self.operation = operation
        self.source = StoreURLRedaction.redact(source)
        self.destination = StoreURLRedaction.redact(destination)
        self.only = only
        self.secrets = secrets
        self.phase = only == Phase.requestTokens.rawValue ? .requestTokens : .accessTokens
        self.accessCursor = nil
        self.requestCursor = nil
        self.counts = MigrationCounts()
        self.savedAt = Date()
    }

    /// The ways `self` (a saved checkpoint) belongs to another run than `expected`, one
    /// line each; empty when it can be resumed by `expected`'s run.
    public func conflicts(with expected: MigrationCheckpoint) -> [String] {
        var lines: [String] = []
        if version != expected.version { lines.append("format version \(version), this tokenstore reads \(expected.version)") }
        if operation != expected.operation { lines.append("it was written by \(operation.rawValue), not \(expected.operation.rawValue)") }
        if source != expected.source { lines.append("source \(source), not \(expected.source)") }
        if destination != expected.destination {
            lines.append("destination \(destination), not \(expected.destination)")
        }
        if only != expected.only { lines.append("--only \(only ?? "(both kinds)"), not \(expected.only ?? "(both kinds)")") }
        if secrets != expected.secrets { lines.append("secrets \(secrets), not \(expected.secrets)") }
        return lines
    }

    /// A file name unique to the run (operation, redacted stores, `only`, secrets):
    /// `migrate-<16 hex digits>.json`.
    public static func fileName(
        operation: Operation, source: String, destination: String, only: String?, secrets: String
    ) -> String {
        let identity = [
            operation.rawValue, StoreURLRedaction.redact(source), StoreURLRedaction.redact(destination), only ?? "",
            secrets,
        ].joined(separator: "\n")
        let digest = MigrationDigest.sha256Hex(Array(identity.utf8))
        return "\(operation.rawValue)-\(digest.prefix(16)).json"
    }
}
