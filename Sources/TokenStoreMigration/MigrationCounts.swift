import TokenStoreKit

/// How many tokens a migration or re-seal has handled.
public struct MigrationCounts: Codable, Sendable, Hashable {
    /// Access tokens read from the source.
    public var accessRead = 0
    /// Access tokens written (for migrate, those `.ifNewer` did not keep; for rekey, re-sealed).
    public var accessWritten = 0
    /// OAuth 2.0 token sets read from the source.
    public var tokenSetRead = 0
    /// Token sets written (for migrate, those `.ifNewer` did not keep; for rekey, re-sealed).
    public var tokenSetWritten = 0
    /// Rekey only: token sets that held a plain-text secret before.
    public var tokenSetPlaintext = 0
    /// Rekey only: token sets not re-sealed because another process held their refresh
    /// lease, changed or deleted them meanwhile (a later run picks them up).
    public var tokenSetSkipped = 0
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
        case accessRead, accessWritten, tokenSetRead, tokenSetWritten, tokenSetPlaintext, tokenSetSkipped
        case requestRead, requestWritten, requestSkipped, plaintext, requestPlaintext
    }

    /// Decodes counts; `requestPlaintext` is absent from checkpoints of earlier versions,
    /// which counted plain request tokens in `plaintext`, and the token-set counts from
    /// those written before token sets (zero).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accessRead = try container.decode(Int.self, forKey: .accessRead)
        accessWritten = try container.decode(Int.self, forKey: .accessWritten)
        tokenSetRead = try container.decodeIfPresent(Int.self, forKey: .tokenSetRead) ?? 0
        tokenSetWritten = try container.decodeIfPresent(Int.self, forKey: .tokenSetWritten) ?? 0
        tokenSetPlaintext = try container.decodeIfPresent(Int.self, forKey: .tokenSetPlaintext) ?? 0
        tokenSetSkipped = try container.decodeIfPresent(Int.self, forKey: .tokenSetSkipped) ?? 0
        requestRead = try container.decode(Int.self, forKey: .requestRead)
        requestWritten = try container.decode(Int.self, forKey: .requestWritten)
        requestSkipped = try container.decode(Int.self, forKey: .requestSkipped)
        plaintext = try container.decode(Int.self, forKey: .plaintext)
        requestPlaintext = try container.decodeIfPresent(Int.self, forKey: .requestPlaintext) ?? 0
    }

    /// Every token read.
    public var read: Int { accessRead + tokenSetRead + requestRead }
}
