import Benchmark
import Foundation

/// The metric set. Under CI (or `TOKENSTORE_BENCH_MALLOC_ONLY=1`, which
/// `Scripts/benchmark-malloc-gate` sets) only the malloc count is collected, so the
/// thresholds check compares the one deterministic figure and nothing else.
enum BenchmarkSettings {
    static var mallocOnly: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["TOKENSTORE_BENCH_MALLOC_ONLY"] == "1" || environment["CI"] == "true"
    }

    static var metrics: [BenchmarkMetric] {
        mallocOnly ? [.mallocCountTotal] : [.wallClock, .throughput, .mallocCountTotal]
    }
}
