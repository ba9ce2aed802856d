/// What one workload measured on one store.
public struct BenchOperationResult: Sendable {
    /// The workload.
    public var operation: BenchOperation
    /// Latencies of the operations that succeeded.
    public var histogram: LatencyHistogram
    /// Operations that failed (not in the histogram).
    public var errors: Int
    /// The first failure's message (never a secret).
    public var firstError: String?
    /// Measured wall time (for `take`, the take phases only).
    public var elapsed: Duration

    /// Operations that succeeded.
    public var count: Int { Int(histogram.count) }

    /// Successful operations per second of measured wall time.
    public var operationsPerSecond: Double {
        let seconds = BenchBudget.seconds(elapsed)
        return seconds > 0 ? Double(count) / seconds : 0
    }
}

/// Everything measured on one store.
public struct BenchStoreResult: Sendable {
    /// The store URL with passwords removed.
    public var store: String
    /// One result per workload that ran, in order.
    public var operations: [BenchOperationResult]
    /// Why the store could not be prepared (then no workload ran), or `nil`.
    public var failure: String?
    /// Bench tokens the clean-up could not delete, and the first reason.
    public var cleanupFailures = 0
    /// The first clean-up failure's message.
    public var cleanupError: String?
    /// The provider name the run used, so leftover access tokens can be found by hand.
    public var provider: String

    /// Total failed operations.
    public var errors: Int { operations.reduce(0) { $0 + $1.errors } }
}
