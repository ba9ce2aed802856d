import Benchmark
import Foundation
import Synchronization
import TokenStoreKit

/// The two figures of an interleaved benchmark: each sample times either the library's call
/// or the floor's, in nanoseconds.
enum InterleavedMetrics {
    static let library = BenchmarkMetric.custom("Library call (ns)", polarity: .prefersSmaller, useScalingFactor: false)
    static let floor = BenchmarkMetric.custom("Floor call (ns)", polarity: .prefersSmaller, useScalingFactor: false)

    static var configuration: Benchmark.Configuration {
        .init(
            metrics: [library, floor], units: [library: .count, floor: .count], maxDuration: .seconds(4),
            maxIterations: 20_000)
    }
}

/// Which side the next sample of an interleaved benchmark times.
final class Alternation: Sendable {
    private let count = Atomic<Int>(0)

    /// `true` for the library, `false` for the floor, in turn.
    func libraryNext() -> Bool {
        count.add(1, ordering: .relaxed).oldValue % 2 == 0
    }
}

/// Registers `"<name> put|get|take, interleaved with its floor"`: one benchmark per operation
/// whose samples alternate between the library's call and the C floor's, recorded as two
/// metrics (``InterleavedMetrics``).
///
/// The separate library and floor benchmarks run seconds apart, and on a shared VM the
/// machine's speed drifts within seconds: their SQLite get p50 ratio ranged 1.03-1.43 over
/// six full runs of one build, this benchmark's 1.13-1.19 over the same runs. Alternating
/// sample by sample, both sides see the same machine; each sample is still the first call
/// in a fresh task behind the harness's hop, as in the separate benchmarks.
func registerInterleavedBenchmarks(
    _ name: String, open: @escaping @Sendable () async throws -> any TokenStore, floor: FloorOperations
) {
    let pair = Holder<InterleavedPair>()
    let setup: @Sendable () async throws -> Void = {
        let store = try await open()
        try await store.saveAccessToken(Fixtures.accessToken)
        let handle = try floor.open()
        guard floor.put(handle) >= 0 else { throw floorError("\(name) floor put") }
        pair.set(InterleavedPair(store: store, handle: handle))
    }
    let teardown: @Sendable () async throws -> Void = {
        if let opened = try? pair.get() {
            // The floor first: a store whose close throws must not leak the C handle.
            floor.close(opened.handle)
            try await opened.store.close()
        }
        pair.set(nil)
    }
    let suffix = "interleaved with its floor"

    let putTurns = Alternation()
    Benchmark("\(name) put, \(suffix)", configuration: InterleavedMetrics.configuration) { benchmark in
        let opened = try pair.get()
        if putTurns.libraryNext() {
            let began = ContinuousClock.now
            try await opened.store.saveAccessToken(Fixtures.accessToken)
            benchmark.measurement(InterleavedMetrics.library, nanoseconds(since: began))
        } else {
            let began = ContinuousClock.now
            let result = floor.put(opened.handle)
            benchmark.measurement(InterleavedMetrics.floor, nanoseconds(since: began))
            guard result >= 0 else { throw floorError("\(name) floor put") }
        }
    } setup: { try await setup() } teardown: { try await teardown() }

    let getTurns = Alternation()
    Benchmark("\(name) get, \(suffix)", configuration: InterleavedMetrics.configuration) { benchmark in
        let opened = try pair.get()
        if getTurns.libraryNext() {
            let began = ContinuousClock.now
            let token = try await opened.store.accessToken(for: Fixtures.key)
            benchmark.measurement(InterleavedMetrics.library, nanoseconds(since: began))
            guard token != nil else { throw BenchmarkSetupError(description: "\(name): the token is missing") }
        } else {
            let began = ContinuousClock.now
            let result = floor.get(opened.handle)
            benchmark.measurement(InterleavedMetrics.floor, nanoseconds(since: began))
            guard result == 1 else { throw floorError("\(name) floor get") }
        }
    } setup: { try await setup() } teardown: { try await teardown() }

    // Each side saves its request token untimed, then only the take is timed.
    let takeTurns = Alternation()
    Benchmark("\(name) take, \(suffix)", configuration: InterleavedMetrics.configuration) { benchmark in
        let opened = try pair.get()
        if takeTurns.libraryNext() {
            let tokenName = Fixtures.nextRequestTokenName(name)
            try await opened.store.saveRequestToken(Fixtures.requestToken(tokenName))
            let began = ContinuousClock.now
            let taken = try await opened.store.takeRequestToken(tokenName)
            benchmark.measurement(InterleavedMetrics.library, nanoseconds(since: began))
            guard taken != nil else { throw BenchmarkSetupError(description: "\(name): the request token was not taken") }
        } else {
            let tokenName = strdup(Fixtures.nextRequestTokenName(name + "-floor"))!
            defer { free(tokenName) }
            guard floor.saveRequest(opened.handle, tokenName) >= 0 else { throw floorError("\(name) floor save request") }
            let began = ContinuousClock.now
            let taken = floor.take(opened.handle, tokenName)
            benchmark.measurement(InterleavedMetrics.floor, nanoseconds(since: began))
            guard taken == 1 else { throw floorError("\(name) floor take") }
        }
    } setup: { try await setup() } teardown: { try await teardown() }
}

/// A store and a floor handle, open together for an interleaved benchmark.
struct InterleavedPair: Sendable {
    let store: any TokenStore
    let handle: CHandle
}

private func nanoseconds(since began: ContinuousClock.Instant) -> Int {
    let (seconds, attoseconds) = began.duration(to: .now).components
    return Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
}
