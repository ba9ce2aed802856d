import Foundation
import Testing
import TokenStoreFile
import TokenStoreKit
import TokenStoreSealing
import TokenStoreTesting

/// The store and flow conformance suites through ``SealedTokenStore`` over memory and file
/// stores: sealing must change nothing a caller can observe.
@Suite("Sealed store conformance", .serverTimeLimit)
struct SealingConformanceTests {
    @Test("sealed memory store", arguments: TokenStoreConformance.caseNames)
    func memory(caseName: String) async throws {
        let keys = try SealingFixtures.ring("k2", "k1")
        try await TokenStoreConformance(name: "sealed-memory") { clock in
            SealedTokenStore(wrapping: InMemoryTokenStore(clock: clock), keys: keys)
        }.run(case: caseName)
    }

    @Test("sealed file store", arguments: TokenStoreConformance.caseNames)
    func file(caseName: String) async throws {
        let directory = StoreTestDirectory("sealed-conformance")
        defer { directory.remove() }
        let keys = try SealingFixtures.ring("k1")
        try await TokenStoreConformance(name: "sealed-file") { clock in
            SealedTokenStore(
                wrapping: try await FileTokenStore(configuration: .init(directory: directory.path, clock: clock)), keys: keys)
        }.run(case: caseName)
    }

    @Test("sealed store opened by URL through the registry")
    func throughRegistry() async throws {
        let directory = StoreTestDirectory("sealed-registry")
        defer { directory.remove() }
        let keys = try SealingFixtures.ring("k1")
        try await TokenStoreConformance(name: "sealed-file-url") { clock in
            try await SealedTokenStore.open(
                "file://" + directory.path, keys: keys, registry: TokenStoreRegistry(drivers: [FileTokenStore.driver]),
                options: TokenStoreOptions(clock: clock))
        }.run()
    }

    @Test("authorization flow over a sealed memory store")
    func flowMemory() async throws {
        let keys = try SealingFixtures.ring("k1")
        try await AuthorizationFlowConformance(name: "sealed-memory") { clock in
            SealedTokenStore(wrapping: InMemoryTokenStore(clock: clock), keys: keys)
        }.run()
    }

    @Test("authorization flow over a sealed file store")
    func flowFile() async throws {
        let directory = StoreTestDirectory("sealed-flow")
        defer { directory.remove() }
        let keys = try SealingFixtures.ring("k1")
        try await AuthorizationFlowConformance(name: "sealed-file") { clock in
            SealedTokenStore(
                wrapping: try await FileTokenStore(configuration: .init(directory: directory.path, clock: clock)), keys: keys)
        }.run()
    }
}
