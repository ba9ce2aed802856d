import Benchmark
import CFloors
import Foundation
import TokenStoreFile
import TokenStoreKit
import TokenStorePostgres
import TokenStoreRedis
import TokenStoreSQLite

/// put / get / take / get with 16 callers for every driver, each server driver next to its
/// raw C floor (`[C floor]`), so a library figure reads as a ratio from one run.
let benchmarks: @Sendable () -> Void = {
    // Nanoseconds: with automatic units a run whose slowest sample passed 10 us was
    // recorded in whole microseconds, too coarse for a 1.2x ratio of 10 us figures.
    Benchmark.defaultConfiguration = .init(
        metrics: BenchmarkSettings.metrics, timeUnits: .nanoseconds, maxDuration: .seconds(2),
        maxIterations: BenchmarkSettings.maxIterations)

    registerLibraryBenchmarks("memory", getsPerCaller: 500) { InMemoryTokenStore() }
    registerLibraryBenchmarks("file", getsPerCaller: 100) {
        try await FileTokenStore(configuration: .init(directory: try temporaryDirectory("file")))
    }
    registerSQLite()
    registerPostgres()
    registerRedis()
}

// MARK: SQLite

func registerSQLite() {
    let directory: String
    do {
        directory = try temporaryDirectory("sqlite")
    } catch {
        print("SQLite benchmarks not registered: cannot create a temporary directory: \(error)")
        return
    }
    let open: @Sendable () async throws -> any TokenStore = {
        try await SQLiteTokenStore(configuration: .init(path: directory + "/library.sqlite"))
    }
    registerLibraryBenchmarks("SQLite", getsPerCaller: 200, open: open)
    // The floor's file gets the library's schema from the library itself (open, close),
    // then only C touches it.
    let floorPath = directory + "/floor.sqlite"
    let floor = FloorOperations(
        open: {
            if !FileManager.default.fileExists(atPath: floorPath) {
                let semaphore = DispatchSemaphore(value: 0)
                let failure = Holder<String>()
                Task {
                    do {
                        try await SQLiteTokenStore(configuration: .init(path: floorPath)).close()
                    } catch {
                        failure.set("\(error)")
                    }
                    semaphore.signal()
                }
                semaphore.wait()
                if let message = try? failure.get() { throw BenchmarkSetupError(description: message) }
            }
            guard let handle = floors_sqlite_open(floorPath) else { throw floorError("SQLite floor open") }
            return CHandle(pointer: handle)
        },
        close: { floors_sqlite_close($0.pointer) },
        put: { handle in
            floors_sqlite_put(
                handle.pointer, CFixture.provider, CFixture.userID, CFixture.token, CFixture.secret,
                CFixture.screenName, CFixture.accessType, Fixtures.createdMilliseconds, Fixtures.createdMilliseconds)
        },
        get: { floors_sqlite_get($0.pointer, CFixture.provider, CFixture.userID) },
        saveRequest: { handle, token in
            let now = Fixtures.nowMilliseconds
            return floors_sqlite_save_request(
                handle.pointer, token, CFixture.provider, CFixture.secret, CFixture.callbackURL, now, now + 600_000)
        },
        take: { handle, token in floors_sqlite_take(handle.pointer, token, Fixtures.nowMilliseconds) },
        concurrentGet: { handles, gets in
            withPointers(handles, as: OpaquePointer.self) { pointers in
                floors_sqlite_concurrent_get(pointers, Int32(handles.count), Int32(gets), CFixture.provider, CFixture.userID)
            }
        })
    registerFloorBenchmarks("SQLite", getsPerCaller: 200, floor)
    registerInterleavedBenchmarks("SQLite", open: open, floor: floor)
}

// MARK: PostgreSQL

/// The server URL: `TOKENSTORE_BENCH_<NAME>_URL`, else `TOKENSTORE_TEST_<NAME>_URL` (which
/// `Scripts/test-servers` exports).
func serverURL(_ name: String) -> String? {
    let environment = ProcessInfo.processInfo.environment
    return environment["TOKENSTORE_BENCH_\(name)_URL"] ?? environment["TOKENSTORE_TEST_\(name)_URL"]
}

/// The URL the library's store opens: `url` plus `TOKENSTORE_BENCH_STORE_PARAMETERS`
/// (e.g. `reply_wait=park`), driver parameters the C floors' URL must not carry.
func storeURL(_ url: String) -> String {
    guard let extra = ProcessInfo.processInfo.environment["TOKENSTORE_BENCH_STORE_PARAMETERS"], !extra.isEmpty else { return url }
    return url + (url.contains("?") ? "&" : "?") + extra
}

func registerPostgres() {
    guard let url = serverURL("POSTGRES") else {
        print("PostgreSQL benchmarks not registered: set TOKENSTORE_BENCH_POSTGRES_URL or TOKENSTORE_TEST_POSTGRES_URL (Scripts/test-servers exports the latter)")
        return
    }
    let open: @Sendable () async throws -> any TokenStore = { try await PostgresTokenStore(url: storeURL(url)) }
    registerLibraryBenchmarks("PostgreSQL", getsPerCaller: Concurrency.serverGetsPerCaller, mallocSlack: 6, open: open)
    let conninfo = CString(url)
    let schema = CString("tokenstore")
    let floor = FloorOperations(
        open: {
            guard let handle = floors_pq_open(conninfo.pointer, schema.pointer) else { throw floorError("PostgreSQL floor open") }
            return CHandle(pointer: handle)
        },
        close: { floors_pq_close($0.pointer) },
        put: { handle in
            floors_pq_put(
                handle.pointer, CFixture.provider, CFixture.userID, CFixture.token, CFixture.secret,
                CFixture.screenName, CFixture.accessType, Fixtures.createdMilliseconds, Fixtures.createdMilliseconds)
        },
        get: { floors_pq_get($0.pointer, CFixture.provider, CFixture.userID) },
        saveRequest: { handle, token in
            let now = Fixtures.nowMilliseconds
            return floors_pq_save_request(
                handle.pointer, token, CFixture.provider, CFixture.secret, CFixture.callbackURL, now, now + 600_000)
        },
        take: { handle, token in floors_pq_take(handle.pointer, token) },
        concurrentGet: { handles, gets in
            withPointers(handles, as: OpaquePointer.self) { pointers in
                floors_pq_concurrent_get(pointers, Int32(handles.count), Int32(gets), CFixture.provider, CFixture.userID)
            }
        })
    registerFloorBenchmarks("PostgreSQL", getsPerCaller: Concurrency.serverGetsPerCaller, floor)
    registerInterleavedBenchmarks("PostgreSQL", open: open, floor: floor)
}

// MARK: Redis

func registerRedis() {
    guard let url = serverURL("REDIS") else {
        print("Redis benchmarks not registered: set TOKENSTORE_BENCH_REDIS_URL or TOKENSTORE_TEST_REDIS_URL (Scripts/test-servers exports the latter)")
        return
    }
    guard let components = URLComponents(string: url), let host = components.host else {
        print("Redis benchmarks not registered: cannot parse the Redis URL")
        return
    }
    let open: @Sendable () async throws -> any TokenStore = { try await RedisTokenStore(url: storeURL(url)) }
    registerLibraryBenchmarks("Redis", getsPerCaller: Concurrency.serverGetsPerCaller, mallocSlack: 6, open: open)
    let cHost = CString(host)
    let port = Int32(components.port ?? 6379)
    let user = CString(components.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding ?? $0 })
    let password = CString(components.password.map { $0.removingPercentEncoding ?? $0 })
    let database = Int32(components.path.dropFirst()) ?? 0
    let prefix = CString("floor")
    let script = CString(RedisFloorFixture.upsertScript)
    let record = RedisFloorFixture.requestRecord
    let floor = FloorOperations(
        open: {
            guard let handle = floors_redis_open(cHost.pointer, port, user.pointer, password.pointer, database, prefix.pointer, script.pointer) else {
                throw floorError("Redis floor open")
            }
            return CHandle(pointer: handle)
        },
        close: { floors_redis_close($0.pointer) },
        put: { handle in
            floors_redis_put(
                handle.pointer, CFixture.provider, CFixture.userID, CFixture.token, CFixture.secret,
                CFixture.screenName, CFixture.accessType, Fixtures.createdMilliseconds, Fixtures.createdMilliseconds)
        },
        get: { floors_redis_get($0.pointer, CFixture.provider, CFixture.userID) },
        saveRequest: { handle, token in
            record.withUnsafeBytes { bytes in
                floors_redis_save_request(
                    handle.pointer, token, bytes.baseAddress, bytes.count, 600_000, Fixtures.nowMilliseconds + 600_000)
            }
        },
        take: { handle, token in floors_redis_take(handle.pointer, token) },
        concurrentGet: { handles, gets in
            withPointers(handles, as: OpaquePointer.self) { pointers in
                floors_redis_concurrent_get(pointers, Int32(handles.count), Int32(gets), CFixture.provider, CFixture.userID)
            }
        })
    registerFloorBenchmarks("Redis", getsPerCaller: Concurrency.serverGetsPerCaller, floor)
    registerInterleavedBenchmarks("Redis", open: open, floor: floor)
}
