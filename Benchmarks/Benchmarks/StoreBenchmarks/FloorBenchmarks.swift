import Benchmark
import CFloors
import Foundation

/// The operations of one C floor, so the four floor benchmarks of every server share one
/// registration. Each call returns the C function's result (negative on failure).
struct FloorOperations: Sendable {
    var open: @Sendable () throws -> CHandle
    var close: @Sendable (CHandle) -> Void
    var put: @Sendable (CHandle) -> Int32
    var get: @Sendable (CHandle) -> Int32
    var saveRequest: @Sendable (CHandle, UnsafePointer<CChar>) -> Int32
    var take: @Sendable (CHandle, UnsafePointer<CChar>) -> Int32
    /// Runs `gets` gets on each handle, one thread per handle; elapsed nanoseconds or -1.
    var concurrentGet: @Sendable ([CHandle], Int) -> Int64
}

/// The fixture's strings as C strings, made once: a C server holds its strings this way.
enum CFixture {
    nonisolated(unsafe) static let provider = strdup(Fixtures.provider)!
    nonisolated(unsafe) static let userID = strdup(Fixtures.userID)!
    nonisolated(unsafe) static let token = strdup(Fixtures.token)!
    nonisolated(unsafe) static let secret = strdup(Fixtures.secret)!
    nonisolated(unsafe) static let screenName = strdup(Fixtures.screenName)!
    nonisolated(unsafe) static let accessType = strdup(Fixtures.accessType)!
    nonisolated(unsafe) static let callbackURL = strdup(Fixtures.callbackURL)!
}

func floorError(_ what: String) -> BenchmarkSetupError {
    BenchmarkSetupError(description: "\(what): \(String(cString: floors_last_error()))")
}

/// Registers the floor twins of `registerLibraryBenchmarks`: `"<name> put [C floor]"` etc.
///
/// The closures are `async` like the library's, on purpose: the harness runs every sample
/// of an async benchmark in a new task behind a thread hop, and a C call measured right
/// after that hop is slower than in a tight synchronous loop (here SQLite get 3.2 us synchronous, 7.8 us
/// behind the hop). Both sides of a ratio must pay the same. The `in a loop` pair shows
/// the steady-state cost without the hop. (A single blocking C caller on the cooperative pool
/// is harmless in a benchmark; the library never does it.)
func registerFloorBenchmarks(_ name: String, getsPerCaller: Int, _ floor: FloorOperations) {
    let single = Holder<CHandle>()
    let setup: @Sendable () async throws -> Void = {
        let handle = try floor.open()
        guard floor.put(handle) >= 0 else { throw floorError("\(name) floor put") }
        single.set(handle)
    }
    let teardown: @Sendable () async throws -> Void = {
        if let handle = try? single.get() { floor.close(handle) }
        single.set(nil)
    }

    Benchmark("\(name) put [C floor]") { (benchmark: Benchmark) async throws in
        let handle = try single.get()
        benchmark.startMeasurement()
        guard floor.put(handle) >= 0 else { throw floorError("\(name) floor put") }
    } setup: { try await setup() } teardown: { try await teardown() }

    Benchmark("\(name) get [C floor]") { (benchmark: Benchmark) async throws in
        let handle = try single.get()
        benchmark.startMeasurement()
        guard floor.get(handle) == 1 else { throw floorError("\(name) floor get") }
    } setup: { try await setup() } teardown: { try await teardown() }

    Benchmark("\(name) take [C floor]") { (benchmark: Benchmark) async throws in
        let handle = try single.get()
        let tokenName = strdup(Fixtures.nextRequestTokenName(name + "-floor"))!
        defer { free(tokenName) }
        guard floor.saveRequest(handle, tokenName) >= 0 else { throw floorError("\(name) floor save request") }
        benchmark.startMeasurement()
        let taken = floor.take(handle, tokenName)
        benchmark.stopMeasurement()
        guard taken == 1 else { throw floorError("\(name) floor take") }
    } setup: { try await setup() } teardown: { try await teardown() }

    let loop = Concurrency.loopCalls
    /// `succeeded` judges one call's result (a put returns the rows written, a get 1 when found).
    func registerLoop(
        _ operation: String, _ call: @escaping @Sendable (CHandle) -> Int32, succeeded: @escaping @Sendable (Int32) -> Bool
    ) {
        Benchmark(
            "\(name) \(operation), 1 caller x \(loop) in a loop [C floor]",
            configuration: BenchmarkSettings.throughput(maxDuration: .seconds(2))
        ) { (benchmark: Benchmark) async throws in
            let handle = try single.get()
            try await BenchmarkSettings.measureRate(benchmark, operations: loop) {
                for _ in 0..<loop {
                    guard succeeded(call(handle)) else { throw floorError("\(name) floor \(operation)") }
                }
            }
        } setup: { try await setup() } teardown: { try await teardown() }
    }
    registerLoop("put", floor.put) { $0 >= 0 }
    registerLoop("get", floor.get) { $0 == 1 }

    let callers = Concurrency.callers
    let pool = Holder<[CHandle]>()
    Benchmark(
        "\(name) get, \(callers) callers x \(getsPerCaller) [C floor, \(callers) threads]",
        configuration: BenchmarkSettings.throughput(maxDuration: .seconds(3))
    ) { benchmark in
        let handles = try pool.get()
        benchmark.startMeasurement()
        let nanoseconds = floor.concurrentGet(handles, getsPerCaller)
        benchmark.stopMeasurement()
        guard nanoseconds > 0 else { throw floorError("\(name) floor concurrent get") }
        benchmark.measurement(
            BenchmarkSettings.operationsPerSecond,
            BenchmarkSettings.rate(callers * getsPerCaller, .nanoseconds(nanoseconds)))
    } setup: {
        var handles: [CHandle] = []
        for _ in 0..<callers { handles.append(try floor.open()) }
        guard floor.put(handles[0]) >= 0 else { throw floorError("\(name) floor put") }
        pool.set(handles)
    } teardown: {
        for handle in (try? pool.get()) ?? [] { floor.close(handle) }
        pool.set(nil)
    }
}

/// Calls `body` with `handles` as a C array of the floor's pointer type.
func withPointers<T, R>(_ handles: [CHandle], as type: T.Type, _ body: (UnsafePointer<OpaquePointer?>) -> R) -> R {
    let pointers: [OpaquePointer?] = handles.map { $0.pointer }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
