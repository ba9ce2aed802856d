import Foundation
import Testing
import TokenStoreFile
import TokenStoreKit
import TokenStoreTesting

@Suite("FileTokenStore conformance", .serverTimeLimit)
struct FileConformanceTests {
    @Test("conformance case, every store over one directory, takes raced across processes",
          arguments: TokenStoreConformance.caseNames)
    func conformance(caseName: String) async throws {
        let directory = StoreTestDirectory("conformance")
        defer { directory.remove() }
        try await TokenStoreConformance(
            name: "file",
            capabilities: .init(crossProcessURL: "file://" + directory.path)
        ) { clock in
            try await FileTokenStore(configuration: .init(directory: directory.path, clock: clock))
        }.run(case: caseName)
    }

    @Test("conformance through the registry's file: URL")
    func throughRegistry() async throws {
        let directory = StoreTestDirectory("registry")
        defer { directory.remove() }
        let registry = TokenStoreRegistry(drivers: [FileTokenStore.driver])
        try await TokenStoreConformance(name: "file-url") { clock in
            try await registry.open("file://" + directory.path, options: TokenStoreOptions(clock: clock))
        }.run()
    }
}
