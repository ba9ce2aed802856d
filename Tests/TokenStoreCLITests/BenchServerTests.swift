import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

/// `tokenstore bench` against the throwaway PostgreSQL and Redis of `Scripts/test-servers`.
/// Skipped with a printed reason when the URL is missing, except under CI=true, where a
/// missing server fails.
enum BenchServers {
    static let environment = ProcessInfo.processInfo.environment
    static let postgresVariable = "TOKENSTORE_TEST_POSTGRES_URL"
    static let redisVariable = "TOKENSTORE_TEST_REDIS_URL"

    static func enabled(_ variable: String) -> Bool {
        let isCI = environment["CI"] == "true"
        if environment[variable] == nil && !isCI {
            print("BenchServerTests: \(variable) is not set; run under Scripts/test-servers (CI=true makes this a failure)")
        }
        return environment[variable] != nil || isCI
    }

    /// PostgreSQL connect and statement timeouts for the CLI's server tests, far above the
    /// default 10 s: while the whole suite starts at once on a loaded 2-core runner,
    /// opening a store was seen to take longer than that, and these tests are not about timing.
    static let patientPostgres = "connect_timeout=120&operation_timeout=120"

    static func url(_ variable: String, parameter: String) throws -> String {
        let base = try #require(environment[variable], "\(variable) must be set (Scripts/test-servers); CI never skips")
        return base + (base.contains("?") ? "&" : "?") + parameter
    }

    /// Runs put/get/take/mixed on `url` (holding bystander tokens) and checks the report,
    /// the bystanders and that the URL's password appears nowhere.
    static func benchmark(_ url: String) async throws {
        let bystanders = BenchTestSupport.Bystanders.make()
        try await bystanders.save(into: url)
        let (status, output, error) = try await BenchTestSupport.runBinary([
            "bench", url, "--json", "--count", "200", "--concurrency", "4", "--keys", "50",
        ])
        #expect(status == 0, "stderr: \(error)")
        let document = try BenchTestSupport.decode(output)
        BenchTestSupport.expectComplete(document, operations: ["put", "get", "take", "mixed"], stores: 1)
        #expect(document.stores.first?.store == StoreURLRedaction.redact(url))
        try await bystanders.expectAlone(in: url)
        if let password = URLComponents(string: url)?.password, !password.isEmpty {
            #expect(!output.contains(password) && !error.contains(password))
        }
    }
}

@Suite(.enabled(if: BenchServers.enabled(BenchServers.postgresVariable)), .serverTimeLimit)
struct BenchPostgresTests {
    @Test func benchOnPostgreSQLLeavesOtherTokensAlone() async throws {
        let schema = "t_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        try await BenchServers.benchmark(try BenchServers.url(BenchServers.postgresVariable, parameter: "schema=\(schema)&" + BenchServers.patientPostgres))
    }
}

@Suite(.enabled(if: BenchServers.enabled(BenchServers.redisVariable)), .serverTimeLimit)
struct BenchRedisTests {
    @Test func benchOnRedisLeavesOtherTokensAlone() async throws {
        let prefix = "bench-" + UUID().uuidString.lowercased().prefix(8)
        try await BenchServers.benchmark(try BenchServers.url(BenchServers.redisVariable, parameter: "prefix=\(prefix)"))
    }
}
