import Foundation
import Glibc
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

/// The built `tokenstore migrate` between every ordered pair of the persistent drivers,
/// verified by the digest walk.
@Suite(.serialized, .inProcessTimeLimit) struct MigrateEndToEndTests {
    typealias Kind = MigrateFixture.Kind

    static let localPairs: [(Kind, Kind)] = [(.file, .sqlite), (.sqlite, .file)]
    static let serverPairs: [(Kind, Kind)] = {
        let all: [Kind] = [.file, .sqlite, .postgres, .redis]
        let singleServers = all.flatMap { from in all.map { (from, $0) } }.filter { from, to in
            from != to && (Kind.servers.contains(from) || Kind.servers.contains(to))
        }
        // Into and out of a store spread over a Redis Cluster's shards (listing merges 48
        // bucket indexes).
        return singleServers + [(.sqlite, .redisCluster), (.redisCluster, .redis)]
    }()

    @Test(arguments: localPairs)
    func migratesAndVerifiesBetweenLocalStores(from: Kind, to: Kind) async throws {
        try await Self.migrateAndVerify(from: from, to: to)
    }

    @Test(.enabled(if: MigrateFixture.serversAvailable), arguments: serverPairs)
    func migratesAndVerifiesWithServers(from: Kind, to: Kind) async throws {
        try await Self.migrateAndVerify(from: from, to: to)
    }

    static func migrateAndVerify(from: Kind, to: Kind) async throws {
        let directory = try StoreLocation.makeTemporaryDirectory(prefix: "tokenstore-migrate-e2e")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = try MigrateFixture.url(from, in: directory, name: "source")
        let destination = try MigrateFixture.url(to, in: directory, name: "destination")
        try await MigrateFixture.fill(source, access: 130, request: 7)

        let environment = MigrateFixture.binaryEnvironment(stateDirectory: directory + "/state")
        let arguments = ["migrate", "--from", source, "--to", destination, "--verify", "--batch-size", "40"]
        let outcome = try await MigrateFixture.runBinary(arguments, environment: environment, directory: directory)
        #expect(outcome.status == 0, "stderr: \(outcome.error)")
        #expect(outcome.output.contains("Copied 130 access token(s) (130 written"))
        #expect(outcome.output.contains("and 7 request token(s)"))
        #expect(outcome.output.contains("Verified"))
        let access = try #require(MigrateFixture.line(outcome.output, "Verify access tokens: "))
        let parts = access.split(separator: " ")
        // "Verify access tokens: source N DIGEST, destination N DIGEST"
        #expect(parts.count == 9 && parts[4] == "130" && parts[7] == "130")
        #expect(parts.count == 9 && parts[5].dropLast() == parts[8])
        #expect(MigrateFixture.line(outcome.output, "Verify request tokens: source 7 ") != nil)
        #expect(try await MigrateFixture.counts(destination) == TokenCounts(requestTokens: 7, accessTokens: 130))
        for text in [outcome.output, outcome.error] {
            #expect(!text.contains("migrate-secret") && !text.contains("migrate-request-secret"))
            for url in [source, destination] {
                if let password = URLComponents(string: url)?.password, !password.isEmpty {
                    #expect(!text.contains(password))
                }
            }
        }
        // No checkpoint is left behind after a complete run.
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/state/tokenstore")) ?? []
        #expect(leftovers.isEmpty)

        // A second run writes nothing new and still verifies.
        let again = try await MigrateFixture.runBinary(arguments, environment: environment, directory: directory)
        #expect(again.status == 0)
        #expect(again.output.contains("Copied 130 access token(s) (0 written"))
    }
}
