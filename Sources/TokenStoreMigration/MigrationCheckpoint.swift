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
        /// OAuth 2.0 token sets, in `AccessTokenKey` order (every access token is done).
        case tokenSets = "token-sets"
        /// Request tokens, in `oauth_token` order (every access token and token set is done).
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
    /// The last token set key committed (phase ``Phase/tokenSets``).
    public var tokenSetCursor: Key?
    /// Whether the run has gone through its token-set phase. Checkpoints written before
    /// token sets existed lack it (`false`): one of those past its access tokens makes the
    /// resumed run copy the token sets before it continues with the request tokens.
    public var tokenSetsDone: Bool
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
        self.phase = Phase(rawValue: only ?? "") ?? .accessTokens
        self.accessCursor = nil
        self.tokenSetCursor = nil
        self.tokenSetsDone = false
        self.requestCursor = nil
        self.counts = MigrationCounts()
        self.savedAt = Date()
    }

    private enum CodingKeys: String, CodingKey {
        case version, operation, source, destination, only, secrets, phase, accessCursor, tokenSetCursor
        case tokenSetsDone, requestCursor, counts, savedAt
    }

    /// Decodes a checkpoint; those of releases before token sets lack ``tokenSetCursor``
    /// and ``tokenSetsDone``, and resume with the token sets still to do.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        operation = try container.decode(Operation.self, forKey: .operation)
        source = try container.decode(String.self, forKey: .source)
        destination = try container.decode(String.self, forKey: .destination)
        only = try container.decodeIfPresent(String.self, forKey: .only)
        secrets = try container.decode(String.self, forKey: .secrets)
        phase = try container.decode(Phase.self, forKey: .phase)
        accessCursor = try container.decodeIfPresent(Key.self, forKey: .accessCursor)
        tokenSetCursor = try container.decodeIfPresent(Key.self, forKey: .tokenSetCursor)
        tokenSetsDone = try container.decodeIfPresent(Bool.self, forKey: .tokenSetsDone) ?? false
        requestCursor = try container.decodeIfPresent(String.self, forKey: .requestCursor)
        counts = try container.decode(MigrationCounts.self, forKey: .counts)
        savedAt = try container.decode(Date.self, forKey: .savedAt)
    }

    /// Whether a run resumed from this checkpoint must still go through token sets: it is
    /// past them in order (request tokens, or finished) but was written by a release
    /// without them. `includesTokenSets` says whether the run copies token sets at all.
    func owesTokenSets(_ includesTokenSets: Bool) -> Bool {
        includesTokenSets && !tokenSetsDone && (phase == .requestTokens || phase == .finished)
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
        if only != expected.only { lines.append("--only \(only ?? "(every kind)"), not \(expected.only ?? "(every kind)")") }
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
