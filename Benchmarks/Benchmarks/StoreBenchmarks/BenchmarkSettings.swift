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

    /// Malloc counts are the same every iteration: a few hundred samples decide the p90.
    static var maxIterations: Int { mallocOnly ? 300 : 10_000 }

    static var metrics: [BenchmarkMetric] {
        mallocOnly ? [.mallocCountTotal] : [.wallClock, .throughput, .mallocCountTotal]
    }
}

extension BenchmarkSettings {
    /// A single-caller benchmark's configuration. With `mallocSlack` > 0 the malloc gate
    /// accepts a p90 that many allocations off its threshold, either way.
    ///
    /// A server store's call that finds its reply late parks on the epoll thread, and the
    /// deeper async frames of that path can need another slab of a fresh task's allocator
    /// (each harness iteration is a fresh task). On an idle machine almost every call's
    /// reply comes within the inline poll; on a loaded one most park. Measured 2026-12-07
    /// (p90, `reply_wait=adaptive` on an idle machine against `reply_wait=park`, the
    /// path every call of a loaded run takes): Redis get 10-11 / 14, put 10 / 13, take
    /// 11 / 13; PostgreSQL get 12 / 15, put 6 / 9, take 9 / 11. A loaded CI run once
    /// reached 13 for a Redis put against a threshold of 8 with a slack of 4. The slack
    /// of 6 covers the parked path with room for the idle count's own drift of one, while
    /// a real regression (an allocation per parameter, per field) still fails.
    static func singleCaller(mallocSlack: Int) -> Benchmark.Configuration {
        guard mallocSlack > 0 else { return .init() }
        return .init(thresholds: [.mallocCountTotal: .init(absolute: [.p90: mallocSlack])])
    }

    /// Operations per second of a concurrent sample (all callers' gets over its wall time).
    static let operationsPerSecond = BenchmarkMetric.custom("Operations (# / s)", polarity: .prefersLarger, useScalingFactor: false)

    /// The process's CPU (every thread: the caller's, the I/O thread's) per operation of a
    /// sample, from `CLOCK_PROCESS_CPUTIME_ID`: the harness's own CPU metric counts
    /// scheduler ticks, too coarse for a sample of a few milliseconds.
    static let cpuPerOperation = BenchmarkMetric.custom("CPU per operation (ns)", polarity: .prefersSmaller, useScalingFactor: false)

    /// Concurrent benchmarks: their malloc counts depend on scheduling, so they are never gated.
    static var concurrentMetrics: [BenchmarkMetric] {
        [.wallClock, .mallocCountTotal, operationsPerSecond, cpuPerOperation]
    }

    /// A throughput benchmark's configuration: ``concurrentMetrics``, ops/s and CPU as counts.
    static func throughput(maxDuration: Duration) -> Benchmark.Configuration {
        .init(
            metrics: concurrentMetrics, units: [operationsPerSecond: .count, cpuPerOperation: .count],
            maxDuration: maxDuration)
    }

    /// Runs `operations` operations in `body` as the measured region and records their rate
    /// and the process's CPU per operation.
    static func measureRate(
        _ benchmark: Benchmark, operations: Int, _ body: () async throws -> Void
    ) async throws {
        benchmark.startMeasurement()
        let cpuStart = processCPUNanoseconds()
        let began = ContinuousClock.now
        try await body()
        let elapsed = began.duration(to: .now)
        let cpu = processCPUNanoseconds() - cpuStart
        benchmark.stopMeasurement()
        benchmark.measurement(operationsPerSecond, rate(operations, elapsed))
        benchmark.measurement(cpuPerOperation, cpu / max(operations, 1))
    }

    static func processCPUNanoseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return now.tv_sec * 1_000_000_000 + now.tv_nsec
    }

    static func rate(_ operations: Int, _ elapsed: Duration) -> Int {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Int(Double(operations) / seconds) : 0
    }
}
