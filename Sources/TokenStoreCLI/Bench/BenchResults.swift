import TokenStoreKit

/// What one workload measured on one store.
struct BenchOperationResult: Sendable {
    /// The workload.
    var operation: BenchOperation
    /// Latencies of the operations that succeeded.
    var histogram: LatencyHistogram
    /// Operations that failed (not in the histogram).
    var errors: Int
    /// The first failure's message (never a secret).
    var firstError: String?
    /// Measured wall time (for `take`, the take phases only).
    var elapsed: Duration
    /// CPU time the process used while it was measured (every thread, the bench's own loop
    /// included).
    var cpu: Duration

    /// Process CPU per operation that succeeded, in nanoseconds (0 when none did).
    var cpuNanosecondsPerOperation: UInt64 {
        count > 0 ? UInt64(clamping: cpu.wholeNanoseconds) / UInt64(count) : 0
    }

    /// Operations that succeeded.
    var count: Int { Int(histogram.count) }

    /// Successful operations per second of measured wall time.
    var operationsPerSecond: Double {
        let seconds = BenchBudget.seconds(elapsed)
        return seconds > 0 ? Double(count) / seconds : 0
    }
}

/// Everything measured on one store.
struct BenchStoreResult: Sendable {
    /// The store URL with passwords removed.
    var store: String
    /// One result per workload that ran, in order.
    var operations: [BenchOperationResult]
    /// Why the store could not be prepared (then no workload ran), or `nil`.
    var failure: String?
    /// Bench tokens the clean-up could not delete, and the first reason.
    var cleanupFailures = 0
    /// The first clean-up failure's message.
    var cleanupError: String?
    /// The provider name the run used, so leftover access tokens can be found by hand.
    var provider: String

    /// Total failed operations.
    var errors: Int { operations.reduce(0) { $0 + $1.errors } }
}
