import TokenStoreKit

/// Where a run is, reported after each committed batch.
public struct MigrationProgress: Sendable {
    /// The kind of token being copied.
    public var phase: MigrationCheckpoint.Phase
    /// What was done so far, including what an earlier run did before the checkpoint resumed from.
    public var counts: MigrationCounts
    /// The source's token count at the start (of the kinds copied), for a percentage and ETA.
    public var total: Int
    /// Tokens read so far by this run (not counting the resumed checkpoint), for the rate.
    public var readThisRun: Int

    /// Creates a progress report.
    public init(phase: MigrationCheckpoint.Phase, counts: MigrationCounts, total: Int, readThisRun: Int) {
        self.phase = phase
        self.counts = counts
        self.total = total
        self.readThisRun = readThisRun
    }
}
