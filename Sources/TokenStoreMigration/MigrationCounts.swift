import TokenStoreKit

/// How many tokens a migration or re-seal has handled.
public struct MigrationCounts: Codable, Sendable, Hashable {
    /// Access tokens read from the source.
    public var accessRead = 0
    /// Access tokens written (for migrate, those `.ifNewer` did not keep; for rekey, re-sealed).
    public var accessWritten = 0
    /// Request tokens read from the source.
    public var requestRead = 0
    /// Request tokens written.
    public var requestWritten = 0
    /// Request tokens skipped: expired (migrate) or taken by a callback meanwhile (rekey).
    public var requestSkipped = 0
    /// Rekey only: access tokens that were plain text before.
    public var plaintext = 0
    /// Rekey only: request tokens that were plain text before.
    public var requestPlaintext = 0

    /// Zero counts.
    public init() {}

    private enum CodingKeys: String, CodingKey {
        case accessRead, accessWritten, requestRead, requestWritten, requestSkipped, plaintext, requestPlaintext
    }

    /// Decodes counts; `requestPlaintext` is absent from checkpoints of earlier versions,
    /// which counted plain request tokens in `plaintext`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accessRead = try container.decode(Int.self, forKey: .accessRead)
        accessWritten = try container.decode(Int.self, forKey: .accessWritten)
        requestRead = try container.decode(Int.self, forKey: .requestRead)
        requestWritten = try container.decode(Int.self, forKey: .requestWritten)
        requestSkipped = try container.decode(Int.self, forKey: .requestSkipped)
        plaintext = try container.decode(Int.self, forKey: .plaintext)
        requestPlaintext = try container.decodeIfPresent(Int.self, forKey: .requestPlaintext) ?? 0
    }

    /// Every token read.
    public var read: Int { accessRead + requestRead }
}
