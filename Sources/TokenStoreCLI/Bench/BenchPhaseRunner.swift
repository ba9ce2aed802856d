import Synchronization
import TokenStoreKit

/// One timed operation: prepares its input, times the store call with `ContinuousClock`
/// and returns the elapsed time. `ticket` numbers the operations of a phase from 0.
typealias BenchStep = @Sendable (_ ticket: Int, _ random: inout BenchRandom) async throws -> Duration

/// A failure the bench itself detects (e.g. a token it saved is not there).
struct BenchStepError: Error, CustomStringConvertible {
    let description: String
}

/// What one phase measured.
struct BenchPhaseOutcome: Sendable {
    var histogram = LatencyHistogram()
    var errors = 0
    var firstError: String?
    /// Wall time from the start of the phase to the end of its last operation.
    var elapsed: Duration = .zero
    /// CPU time the whole process used meanwhile (every thread: the store's I/O thread too).
    var cpu: Duration = .zero
    /// How many tickets were used (operations started, failed ones included).
    var attempted = 0

    mutating func add(_ other: BenchPhaseOutcome) {
        histogram.merge(other.histogram)
        errors += other.errors
        if firstError == nil { firstError = other.firstError }
        elapsed += other.elapsed
        cpu += other.cpu
        attempted += other.attempted
    }

    /// The message of `error` for the report; store errors describe themselves without secrets.
    static func message(of error: any Error) -> String {
        switch error {
        case let error as TokenStoreError: error.description
        case let error as BenchStepError: error.description
        case let error as CLIFailure: error.message
        default: String(describing: error)
        }
    }
}

/// Runs a step from `concurrency` tasks until a limit of operations, a deadline or an
/// interruption, each task recording into its own histogram (no lock in the loop).
enum BenchPhaseRunner {
    private final class Tickets: Sendable {
        let next = Atomic<Int>(0)
    }

    private struct WorkerResult: Sendable {
        var histogram = LatencyHistogram()
        var errors = 0
        var firstError: String?
    }

    /// Runs the phase.
    ///
    /// - Parameters:
    ///   - limit: At most this many operations in all, or `nil`.
    ///   - deadline: No operation starts at or after this instant, or `nil`.
    static func run(
        limit: Int?, deadline: ContinuousClock.Instant?, concurrency: Int,
        interruption: BenchInterruption, step: @escaping BenchStep
    ) async -> BenchPhaseOutcome {
        let clock = ContinuousClock()
        let tickets = Tickets()
        let start = clock.now
        let cpuAtStart = ProcessCPUTime.now()
        let results = await withTaskGroup(of: WorkerResult.self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask {
                    var result = WorkerResult()
                    var random = BenchRandom()
                    var sinceYield = 0
                    while !interruption.isRequested {
                        // A store that answers without suspending (memory, SQLite's inline
                        // path) would otherwise keep every cooperative thread busy for the
                        // whole phase, starving the signal handling, the progress line and,
                        // in-process, everything else.
                        sinceYield += 1
                        if sinceYield == 64 {
                            sinceYield = 0
                            await Task.yield()
                        }
                        if let deadline, clock.now >= deadline { break }
                        let ticket = tickets.next.wrappingAdd(1, ordering: .relaxed).oldValue
                        if let limit, ticket >= limit { break }
                        do {
                            result.histogram.record(try await step(ticket, &random))
                        } catch {
                            result.errors += 1
                            if result.firstError == nil { result.firstError = BenchPhaseOutcome.message(of: error) }
                        }
                    }
                    return result
                }
            }
            var all: [WorkerResult] = []
            for await result in group { all.append(result) }
            return all
        }
        var outcome = BenchPhaseOutcome()
        outcome.elapsed = clock.now - start
        outcome.cpu = ProcessCPUTime.now() - cpuAtStart
        for result in results {
            outcome.histogram.merge(result.histogram)
            outcome.errors += result.errors
            if outcome.firstError == nil { outcome.firstError = result.firstError }
        }
        let used = tickets.next.load(ordering: .relaxed)
        outcome.attempted = limit.map { min($0, used) } ?? used
        return outcome
    }

    /// Runs `budget`'s worth of the step: a count or a time.
    static func run(
        budget: BenchBudget, concurrency: Int, interruption: BenchInterruption, step: @escaping BenchStep
    ) async -> BenchPhaseOutcome {
        switch budget {
        case .count(let count):
            return await run(limit: count, deadline: nil, concurrency: concurrency, interruption: interruption, step: step)
        case .duration(let duration):
            return await run(
                limit: nil, deadline: ContinuousClock().now + duration, concurrency: concurrency,
                interruption: interruption, step: step)
        }
    }
}
