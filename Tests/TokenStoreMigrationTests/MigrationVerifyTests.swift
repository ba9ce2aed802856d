import Foundation
import Testing
import TokenStoreKit
import TokenStoreMigration

/// ``TokenMigration/verify(pageSize:differenceLimit:)``: counts, digests and the first differing keys.
@Suite("TokenMigration verify", .inProcessTimeLimit)
struct MigrationVerifyTests {
    @Test func namesMissingExtraAndChangedRecordsButNoSecret() async throws {
        let source = try await MigrationEngineTests.filled(access: 10, request: 2)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 3
        _ = try await migration.run()

        let tokens = MigrationEngineTests.accessTokens(10)
        var changed = tokens[4]
        changed.secret = "tampered-secret"
        try await destination.saveAccessToken(changed)
        try await destination.deleteAccessToken(for: tokens[7].key)
        try await destination.saveAccessToken(
            AccessToken(provider: "zz", userID: "extra", token: "t", secret: "extra-secret", createdAt: Date()))

        let result = try await migration.verify(pageSize: 2)
        #expect(!result.matches)
        #expect(result.differenceCount == 3)
        #expect(result.source.accessDigest != result.destination.accessDigest)
        #expect(result.source.accessTokens == 10 && result.destination.accessTokens == 10)
        #expect(result.source.requestDigest == result.destination.requestDigest)
        let described = result.differences.map(\.description)
        #expect(described.contains("content differs: access token \(tokens[4].key)"))
        #expect(described.contains("missing in destination: access token \(tokens[7].key)"))
        #expect(described.contains("extra in destination: access token zz/extra"))
        let text = described.joined()
        #expect(!text.contains("secret-") && !text.contains("tampered"))
    }

    @Test func keepsOnlyTheFirstDifferencesButCountsAll() async throws {
        let source = try await MigrationEngineTests.filled(access: 12, request: 0)
        let destination = InMemoryTokenStore()
        let result = try await TokenMigration(from: source, to: destination).verify(differenceLimit: 5)
        #expect(result.differenceCount == 12)
        #expect(result.differences.count == 5)
        #expect(result.differences.allSatisfy { $0.kind == .missingInDestination })
        #expect(result.differences.map(\.record) == MigrationEngineTests.accessTokens(12).map(\.key).sorted().prefix(5).map {
            "access token \($0)"
        })
    }

    @Test func aChangedRequestTokenIsNamed() async throws {
        let source = try await MigrationEngineTests.filled(access: 0, request: 4)
        let destination = InMemoryTokenStore()
        let migration = TokenMigration(from: source, to: destination)
        _ = try await migration.run()
        var token = try await destination.listRequestTokens(after: nil, limit: 10).tokens[2]
        token.context.returnTo = "/elsewhere"
        try await destination.saveRequestToken(token)
        let result = try await migration.verify()
        #expect(result.differences == [MigrationDifference(kind: .contentDiffers, record: "request token p/rt0002")])
    }
}
