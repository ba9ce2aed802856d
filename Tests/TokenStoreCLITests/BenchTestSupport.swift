import Dispatch
import Foundation
import FoundationXML
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

/// Helpers shared by the bench suites: the JSON document read independently of the
/// encoder's types, tokens that must survive a run, the binary run off the cooperative pool.
enum BenchTestSupport {
    struct Document: Decodable {
        struct Operation: Decodable {
            struct Bucket: Decodable {
                var lowerMicros: Double
                var upperMicros: Double
                var count: Int
            }
            var name: String
            var count: Int
            var errors: Int
            var firstError: String?
            var opsPerSecond: Double
            var p50Micros: Double
            var p90Micros: Double
            var p99Micros: Double
            var maxMicros: Double
            var cpuMicrosPerOperation: Double
            var histogram: [Bucket]
        }
        struct Store: Decodable {
            var store: String
            var provider: String
            var failure: String?
            var cleanupFailures: Int
            var operations: [Operation]
        }
        var interrupted: Bool
        var stores: [Store]
    }

    static func decode(_ output: String) throws -> Document {
        try JSONDecoder().decode(Document.self, from: Data(output.utf8))
    }

    /// Every store holds every requested operation with successful operations, ordered
    /// percentiles and a histogram that adds up to the count.
    static func expectComplete(_ document: Document, operations: [String], stores: Int) {
        #expect(document.stores.count == stores)
        #expect(!document.interrupted)
        for store in document.stores {
            #expect(store.failure == nil)
            #expect(store.cleanupFailures == 0)
            #expect(store.provider.hasPrefix("tokenstore-bench-"))
            #expect(store.operations.map(\.name) == operations)
            for operation in store.operations {
                #expect(operation.count > 0, "\(store.store) \(operation.name)")
                #expect(operation.errors == 0, "\(store.store) \(operation.name): \(operation.firstError ?? "")")
                #expect(operation.opsPerSecond > 0)
                #expect(operation.cpuMicrosPerOperation > 0)
                #expect(operation.p50Micros <= operation.p90Micros)
                #expect(operation.p90Micros <= operation.p99Micros)
                #expect(operation.p99Micros <= operation.maxMicros)
                #expect(operation.histogram.reduce(0) { $0 + $1.count } == operation.count)
                #expect(operation.histogram.allSatisfy { $0.lowerMicros < $0.upperMicros })
            }
        }
    }

    /// Tokens of a real app that a bench run must leave exactly as they are.
    struct Bystanders {
        var access: [AccessToken]
        var requests: [RequestToken]

        static func make() -> Bystanders {
            let now = Date()
            return Bystanders(
                access: (1...3).map {
                    AccessToken(
                        provider: "real-app", userID: "user\($0)", token: "tok\($0)", secret: "real-secret-\($0)",
                        screenName: "person\($0)", createdAt: now)
                },
                requests: (1...2).map {
                    RequestToken(
                        provider: "real-app", token: "real-rt-\($0)", secret: "real-rt-secret-\($0)", createdAt: now,
                        timeToLive: .seconds(3600))
                })
        }

        func save(into url: String) async throws {
            let store = try await StoreDrivers.open(url)
            _ = try await store.saveAccessTokens(access, policy: .overwrite)
            for request in requests { try await store.saveRequestToken(request) }
            try await store.close()
        }

        /// The store holds exactly these tokens: unchanged, and nothing of a bench range.
        func expectAlone(in url: String) async throws {
            let store = try await StoreDrivers.open(url)
            let counts = try await store.counts()
            #expect(counts == TokenCounts(requestTokens: requests.count, accessTokens: access.count))
            var listed: [AccessToken] = []
            var cursor: AccessTokenKey?
            repeat {
                let page = try await store.listAccessTokens(after: cursor, limit: 100)
                listed += page.tokens
                cursor = page.nextCursor
            } while cursor != nil
            #expect(listed == access.sorted { $0.key < $1.key })
            let page = try await store.listRequestTokens(after: nil, limit: 100)
            #expect(page.tokens == requests.sorted { $0.token < $1.token })
            try await store.close()
        }
    }

    /// Runs the tokenstore binary (waiting off the cooperative pool) and
    /// returns its status, standard output and standard error.
    static func runBinary(_ arguments: [String], environment: [String: String]? = nil) async throws
        -> (status: Int32, output: String, error: String)
    {
        let binary = try #require(DemoCommandTests.tokenstoreBinary(), "the tokenstore executable was not found")
        return try await DemoCommandTests.run(binary, arguments, environment: environment)
    }

    /// The `series` groups of an SVG, parsed as XML: (operation, store) of each.
    static func svgSeries(_ data: Data) throws -> [(operation: String, store: String)] {
        let collector = SeriesCollector()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        #expect(parser.parse(), "the SVG is not well-formed XML: \(String(describing: parser.parserError))")
        #expect(collector.root == "svg")
        return collector.series
    }

    private final class SeriesCollector: NSObject, XMLParserDelegate {
        var root: String?
        var series: [(operation: String, store: String)] = []

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName: String?, attributes: [String: String] = [:]
        ) {
            if root == nil { root = elementName }
            if elementName == "g", attributes["class"] == "series" {
                series.append((attributes["data-operation"] ?? "", attributes["data-store"] ?? ""))
            }
        }
    }

    /// The rows of the plain table: header first, cells split on runs of spaces.
    static func tableRows(_ output: String) -> [[String]] {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let header = lines.firstIndex(where: { $0.hasPrefix("operation ") }) else { return [] }
        return lines[header...].prefix { !$0.isEmpty }.map { line in
            line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
    }

    /// A directory removed by the caller.
    static func temporaryDirectory() throws -> String {
        try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-bench-test")
    }
}
