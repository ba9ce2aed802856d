import Benchmark
import Foundation
import TokenStoreKit

/// Registers put, get, take (single caller) and get with 16 concurrent callers for one
/// store, opened once in `setup` and closed in `teardown`.
///
/// `mallocSlack`: how far the malloc gate lets a single-caller count move (see
/// ``BenchmarkSettings/singleCaller(mallocSlack:)``); 0 for stores that never wait on a socket.
func registerLibraryBenchmarks(
    _ name: String, getsPerCaller: Int, mallocSlack: Int = 0, open: @escaping @Sendable () async throws -> any TokenStore
) {
    let singleCaller = BenchmarkSettings.singleCaller(mallocSlack: mallocSlack)
    let store = Holder<any TokenStore>()
    let setup: @Sendable () async throws -> Void = {
        let opened = try await open()
        try await opened.saveAccessToken(Fixtures.accessToken)
        store.set(opened)
    }
    let teardown: @Sendable () async throws -> Void = {
        if let opened = try? store.get() { try await opened.close() }
        store.set(nil)
    }

    Benchmark("\(name) put", configuration: singleCaller) { benchmark in
        let store = try store.get()
        benchmark.startMeasurement()
        try await store.saveAccessToken(Fixtures.accessToken)
    } setup: { try await setup() } teardown: { try await teardown() }

    Benchmark("\(name) get", configuration: singleCaller) { benchmark in
        let store = try store.get()
        benchmark.startMeasurement()
        guard try await store.accessToken(for: Fixtures.key) != nil else {
            throw BenchmarkSetupError(description: "\(name): the token is missing")
        }
    } setup: { try await setup() } teardown: { try await teardown() }

    // The save is outside the measured region: only the take is timed.
    Benchmark("\(name) take", configuration: singleCaller) { benchmark in
        let store = try store.get()
        let tokenName = Fixtures.nextRequestTokenName(name)
        try await store.saveRequestToken(Fixtures.requestToken(tokenName))
        benchmark.startMeasurement()
        let taken = try await store.takeRequestToken(tokenName)
        benchmark.stopMeasurement()
        guard taken != nil else { throw BenchmarkSetupError(description: "\(name): the request token was not taken") }
    } setup: { try await setup() } teardown: { try await teardown() }

    // One task calling back to back: the per-call cost without the harness's hop before
    // every sample (see `registerFloorBenchmarks`).
    let loop = Concurrency.loopCalls
    func registerLoop(_ operation: String, _ call: @escaping @Sendable (any TokenStore) async throws -> Void) {
        Benchmark(
            "\(name) \(operation), 1 caller x \(loop) in a loop",
            configuration: BenchmarkSettings.throughput(maxDuration: .seconds(2))
        ) { benchmark in
            let store = try store.get()
            try await BenchmarkSettings.measureRate(benchmark, operations: loop) {
                for _ in 0..<loop { try await call(store) }
            }
        } setup: { try await setup() } teardown: { try await teardown() }
    }
    registerLoop("put") { try await $0.saveAccessToken(Fixtures.accessToken) }
    registerLoop("get") { store in
        guard try await store.accessToken(for: Fixtures.key) != nil else {
            throw BenchmarkSetupError(description: "\(name): the token is missing")
        }
    }

    let callers = Concurrency.callers
    Benchmark(
        "\(name) get, \(callers) callers x \(getsPerCaller)",
        configuration: BenchmarkSettings.throughput(maxDuration: .seconds(3))
    ) { benchmark in
        let store = try store.get()
        try await BenchmarkSettings.measureRate(benchmark, operations: callers * getsPerCaller) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<callers {
                    group.addTask {
                        for _ in 0..<getsPerCaller {
                            guard try await store.accessToken(for: Fixtures.key) != nil else {
                                throw BenchmarkSetupError(description: "\(name): the token is missing")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    } setup: { try await setup() } teardown: { try await teardown() }
}
