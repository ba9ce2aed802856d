import TokenStoreKit

/// The result of ``TokenMigration/verify(pageSize:differenceLimit:)``: counts and digests of
/// both sides, and the first differing records.
public struct MigrationVerification: Sendable {
    /// One store's counts and digests.
    public struct Side: Sendable, Hashable {
        /// Access tokens walked.
        public var accessTokens = 0
        /// `sha256:<hex>` of the canonical encoding of every access token, in key order.
        public var accessDigest = ""
        /// OAuth 2.0 token sets walked (`nil` when token sets were not compared).
        public var tokenSets: Int?
        /// `sha256:<hex>` over the token sets, every field but the store-assigned `version`
        /// (`nil` when not compared).
        public var tokenSetDigest: String?
        /// Request tokens walked (`nil` when request tokens were not compared).
        public var requestTokens: Int?
        /// `sha256:<hex>` over the request tokens (`nil` when not compared).
        public var requestDigest: String?
    }

    /// The source's counts and digests.
    public var source = Side()
    /// The destination's counts and digests.
    public var destination = Side()
    /// The first differences found, in key order (at most the limit asked for).
    public var differences: [MigrationDifference] = []
    /// How many records differ in all.
    public var differenceCount = 0

    /// Whether both sides hold the same tokens.
    public var matches: Bool { differenceCount == 0 }
}

/// One record that differs between source and destination, named by its key, never by a secret.
public struct MigrationDifference: Sendable, Hashable, CustomStringConvertible {
    /// How it differs.
    public enum Kind: String, Sendable {
        /// In the source, not in the destination.
        case missingInDestination = "missing in destination"
        /// In the destination, not in the source.
        case extraInDestination = "extra in destination"
        /// In both, with different content.
        case contentDiffers = "content differs"
    }

    /// How it differs.
    public var kind: Kind
    /// `access token <provider>/<user id>`, `token set <provider>/<user id>` or
    /// `request token <provider>/<oauth_token>`.
    public var record: String

    /// Creates a difference.
    public init(kind: Kind, record: String) {
        self.kind = kind
        self.record = record
    }

    public var description: String { "\(kind.rawValue): \(record)" }
}
