import Testing
import TokenStoreKit
import TokenStoreTesting

@Suite("InMemoryTokenStore conformance", .serverTimeLimit)
struct MemoryConformanceTests {
    @Test("conformance case", arguments: TokenStoreConformance.caseNames)
    func conformance(caseName: String) async throws {
        try await TokenStoreConformance(name: "memory") { clock in
            InMemoryTokenStore(clock: clock)
        }.run(case: caseName)
    }

    @Test("conformance over one shared named store")
    func sharedNamedStore() async throws {
        try await TokenStoreConformance(name: "memory:shared") { clock in
            InMemoryTokenStore(named: "conformance-shared", clock: clock)
        }.run()
    }
}
