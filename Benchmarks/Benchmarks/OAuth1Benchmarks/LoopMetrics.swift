import Benchmark
import Foundation

/// Per-call wall and CPU time of a call too short for the harness's own CPU metric, which
/// Linux counts in scheduler ticks: each sample runs the call `calls` times in a loop and
/// records the mean of both, CPU from the thread's own clock (`CLOCK_THREAD_CPUTIME_ID`).
/// On a shared machine the CPU figure is the steadier one: time the thread waited for a
/// core counts in the wall figure only.
enum LoopMetrics {
    static let calls = 100
    static let wall = BenchmarkMetric.custom("Wall per call (ns)", polarity: .prefersSmaller, useScalingFactor: false)
    static let cpu = BenchmarkMetric.custom("CPU per call (ns)", polarity: .prefersSmaller, useScalingFactor: false)

    static var configuration: Benchmark.Configuration {
        .init(metrics: [wall, cpu], units: [wall: .count, cpu: .count], maxDuration: .seconds(2), maxIterations: 2_000)
    }

    static func measure(_ benchmark: Benchmark, _ call: () throws -> Void) throws {
        let cpuStart = threadCPUNanoseconds()
        let wallStart = ContinuousClock.now
        for _ in 0..<calls { try call() }
        let (seconds, attoseconds) = wallStart.duration(to: .now).components
        let wallNanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        benchmark.measurement(wall, wallNanoseconds / calls)
        benchmark.measurement(cpu, (threadCPUNanoseconds() - cpuStart) / calls)
    }

    private static func threadCPUNanoseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return now.tv_sec * 1_000_000_000 + now.tv_nsec
    }
}
