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
    /// Rekey only: records that were plain text before.
    public var plaintext = 0

    /// Zero counts.
    public init() {}

    /// Every token read.
    public var read: Int { accessRead + requestRead }
}
