import Foundation

/// The `--json` document: settings, then stores → operations → figures and histogram.
struct BenchJSONReport: Codable, Sendable {
    struct Settings: Codable, Sendable {
        var operations: [String]
        var concurrency: Int
        var keys: Int
        var durationSeconds: Double?
        var count: Int?
        var warmupSeconds: Double?
        var warmupCount: Int?
    }

    struct Bucket: Codable, Sendable {
        var lowerMicros: Double
        var upperMicros: Double
        var count: UInt64
    }

    struct Operation: Codable, Sendable {
        var name: String
        var count: Int
        var errors: Int
        var firstError: String?
        var elapsedSeconds: Double
        var opsPerSecond: Double
        var minMicros: Double
        var meanMicros: Double
        var p50Micros: Double
        var p90Micros: Double
        var p99Micros: Double
        var maxMicros: Double
        /// Process CPU time per successful operation (every thread).
        var cpuMicrosPerOperation: Double
        var histogram: [Bucket]
    }

    struct Store: Codable, Sendable {
        var store: String
        var provider: String
        var failure: String?
        var cleanupFailures: Int
        var cleanupError: String?
        var operations: [Operation]
    }

    var settings: Settings
    var interrupted: Bool
    var stores: [Store]

    init(_ results: [BenchStoreResult], settings: BenchSettings, interrupted: Bool) {
        func split(_ budget: BenchBudget) -> (Double?, Int?) {
            switch budget {
            case .duration(let duration): (BenchBudget.seconds(duration), nil)
            case .count(let count): (nil, count)
            }
        }
        let (seconds, count) = split(settings.budget)
        let (warmupSeconds, warmupCount) = split(settings.warmup)
        self.settings = Settings(
            operations: settings.operations.map(\.rawValue), concurrency: settings.concurrency,
            keys: settings.keyCount, durationSeconds: seconds, count: count, warmupSeconds: warmupSeconds,
            warmupCount: warmupCount)
        self.interrupted = interrupted
        self.stores = results.map { result in
            Store(
                store: result.store, provider: result.provider, failure: result.failure,
                cleanupFailures: result.cleanupFailures, cleanupError: result.cleanupError,
                operations: result.operations.map(Self.operation))
        }
    }

    static func operation(_ result: BenchOperationResult) -> Operation {
        let histogram = result.histogram
        func micros(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1000 }
        return Operation(
            name: result.operation.rawValue, count: result.count, errors: result.errors, firstError: result.firstError,
            elapsedSeconds: BenchBudget.seconds(result.elapsed),
            opsPerSecond: (result.operationsPerSecond * 10).rounded() / 10,
            minMicros: micros(histogram.minNanoseconds), meanMicros: (histogram.meanNanoseconds).rounded() / 1000,
            p50Micros: micros(histogram.value(atQuantile: 0.5)), p90Micros: micros(histogram.value(atQuantile: 0.9)),
            p99Micros: micros(histogram.value(atQuantile: 0.99)), maxMicros: micros(histogram.maxNanoseconds),
            cpuMicrosPerOperation: (Double(result.cpuNanosecondsPerOperation) / 100).rounded() / 10,
            histogram: histogram.nonEmptyBuckets.map {
                Bucket(lowerMicros: micros($0.lower), upperMicros: micros($0.upper), count: $0.count)
            })
    }

    /// The document as pretty-printed JSON with sorted keys.
    func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
