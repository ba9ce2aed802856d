import Synchronization
import TokenStoreKit

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
