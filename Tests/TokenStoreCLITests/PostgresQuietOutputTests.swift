import Foundation
import Testing

/// libpq prints server notices to the process's stderr unless told otherwise; opening an
/// existing PostgreSQL store (its `CREATE ... IF NOT EXISTS` migration step) raises some.
/// The command's output must hold only what the command itself says.
@Suite(.serverTimeLimit) struct PostgresQuietOutputTests {
    static let url = ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_URL"]
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static var available: Bool {
        if url == nil && !isCI {
            print("PostgresQuietOutputTests: TOKENSTORE_TEST_POSTGRES_URL is not set; run through Scripts/test to include them")
        }
        return url != nil || isCI
    }

    @Test(.enabled(if: available)) func reopeningAStorePrintsNoServerNotices() async throws {
        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found")
        let base = try #require(Self.url, "TOKENSTORE_TEST_POSTGRES_URL must be set (Scripts/test starts a server)")
        let schema = "q_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let store = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)&" + BenchServers.patientPostgres

        let (created, _, _) = try await DemoCommandTests.run(binary, ["stats", store])
        #expect(created == 0)
        let (status, output, error) = try await DemoCommandTests.run(binary, ["stats", store])
        #expect(status == 0)
        #expect(!error.contains("NOTICE"), "stderr carried a server notice: \(error)")
        #expect(!output.contains("NOTICE"))
    }
}
