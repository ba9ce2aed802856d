import TokenStoreKit

/// What a migration did.
public struct MigrationSummary: Sendable {
    /// Totals, including what the checkpoint resumed from had done.
    public var counts: MigrationCounts
    /// Tokens the checkpoint resumed from had already read (0 for a fresh run).
    public var resumedAfter: Int
    /// Tokens this run read.
    public var readThisRun: Int
    /// Whether the run stopped early on ``MigrationControl/requestStop()``.
    public var interrupted: Bool
    /// The last checkpoint saved (`nil` for a dry run or when nothing was committed).
    public var checkpoint: MigrationCheckpoint?
    /// Wall-clock seconds this run took.
    public var seconds: Double

    /// Creates a summary.
    public init(
        counts: MigrationCounts, resumedAfter: Int, readThisRun: Int, interrupted: Bool,
        checkpoint: MigrationCheckpoint?, seconds: Double
    ) {
        self.counts = counts
        self.resumedAfter = resumedAfter
        self.readThisRun = readThisRun
        self.interrupted = interrupted
        self.checkpoint = checkpoint
        self.seconds = seconds
    }
}
