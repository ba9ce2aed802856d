import Synchronization

/// Asks a running migration or re-seal to stop after the batch in flight.
///
/// The run checks it after each batch is committed and its checkpoint saved, so stopping
/// never leaves a half-written batch behind: the run returns with
/// ``MigrationSummary/interrupted`` set and can be resumed from the checkpoint. Signal
/// handlers call ``requestStop()``; it is safe from any thread.
public final class MigrationControl: Sendable {
    private let stop = Atomic<Bool>(false)

    /// A control nobody has stopped yet.
    public init() {}

    /// Asks the run to stop after the batch in flight.
    public func requestStop() { stop.store(true, ordering: .sequentiallyConsistent) }

    /// Whether ``requestStop()`` was called.
    public var isStopRequested: Bool { stop.load(ordering: .sequentiallyConsistent) }
}

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
