import Foundation
import Testing
import TokenStoreKit
import TokenStoreMigration
import TokenStoreSealing

/// Migrating sealed stores: verbatim by default, keys checked before any write, `unseal`, `seal`.
@Suite("TokenMigration of sealed stores", .inProcessTimeLimit)
struct MigrationSealedTests {
    /// A raw store whose records are sealed under `k1`, and the tokens as the app sees them.
    static func sealedSource() async throws -> (InMemoryTokenStore, [AccessToken], [RequestToken]) {
        let raw = InMemoryTokenStore()
        let sealed = SealedTokenStore(wrapping: raw, keys: try SealingFixtures.ring("k1"))
        let access = MigrationEngineTests.accessTokens(9)
        let request = MigrationEngineTests.requestTokens(3)
        try await sealed.saveAccessTokens(access, policy: .overwrite)
        try await sealed.saveRequestTokens(request)
        return (raw, access, request)
    }

    @Test func copiesSealedRecordsVerbatimAndTheyOpenInTheDestination() async throws {
        let (source, access, request) = try await Self.sealedSource()
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.batchSize = 4
        migration.keys = try SealingFixtures.ring("k1")
        _ = try await migration.run()
        #expect(try await migration.verify().matches)
        let raw = try await destination.listAccessTokens(after: nil, limit: 100).tokens
        #expect(raw == (try await source.listAccessTokens(after: nil, limit: 100).tokens))
        #expect(raw.allSatisfy { SealedTokenStore.sealingKeyID(ofStoredSecret: $0.secret) == "k1" })
        let opened = SealedTokenStore(wrapping: destination, keys: try SealingFixtures.ring("k1"))
        #expect(try await opened.listAccessTokens(after: nil, limit: 100).tokens == access.sorted { $0.key < $1.key })
        #expect(try await opened.takeRequestToken(request[1].token) == request[1])
    }

    @Test func withoutKeysOrWithTheWrongKeyNothingIsWritten() async throws {
        let (source, _, _) = try await Self.sealedSource()
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        let missing = await #expect(throws: TokenStoreError.self) { _ = try await migration.run() }
        #expect(missing?.code == .sealing)
        #expect(missing?.record == "access token p0/u0000")
        #expect(missing?.message.contains("--sealing-keys") == true)

        migration.keys = try SealingFixtures.ring("k2")
        let unknown = await #expect(throws: TokenStoreError.self) { _ = try await migration.run() }
        #expect(unknown?.code == .sealing && unknown?.message.contains("'k1'") == true)

        // Same id, other material: authentication fails.
        migration.keys = try SealingKeyRing(keys: [try SealingFixtures.key("k1", salt: 7)])
        let wrong = await #expect(throws: TokenStoreError.self) { _ = try await migration.run() }
        #expect(wrong?.code == .sealing && wrong?.record == "access token p0/u0000")
        #expect(try await destination.counts() == TokenCounts(requestTokens: 0, accessTokens: 0))
        for error in [missing, unknown, wrong] {
            #expect(!(error?.description.contains("secret-") ?? true))
        }
    }

    @Test func unsealWritesPlainSecretsAndVerifyComparesOpened() async throws {
        let (source, access, request) = try await Self.sealedSource()
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.secrets = .unseal
        migration.keys = try SealingFixtures.ring("k1")
        _ = try await migration.run()
        #expect(try await destination.listAccessTokens(after: nil, limit: 100).tokens == access.sorted { $0.key < $1.key })
        #expect(try await destination.listRequestTokens(after: nil, limit: 100).tokens == request)
        #expect(try await migration.verify().matches)
    }

    @Test func sealSealsPlainRecordsUnderThePrimary() async throws {
        let source = try await MigrationEngineTests.filled(access: 6, request: 2)
        let destination = InMemoryTokenStore()
        var migration = TokenMigration(from: source, to: destination)
        migration.secrets = .seal
        migration.keys = try SealingFixtures.ring("k2", "k1")
        _ = try await migration.run()
        let raw = try await destination.listAccessTokens(after: nil, limit: 100).tokens
        #expect(raw.count == 6 && raw.allSatisfy { SealedTokenStore.sealingKeyID(ofStoredSecret: $0.secret) == "k2" })
        let rawRequests = try await destination.listRequestTokens(after: nil, limit: 100).tokens
        #expect(rawRequests.count == 2 && rawRequests.allSatisfy { $0.secret.hasPrefix("tsv1:k2:") })
        let opened = SealedTokenStore(wrapping: destination, keys: try SealingFixtures.ring("k2"))
        #expect(try await opened.listAccessTokens(after: nil, limit: 100).tokens
            == (try await source.listAccessTokens(after: nil, limit: 100).tokens))
        #expect(try await migration.verify().matches)
        migration.secrets = .verbatim
        #expect(try await migration.verify().differenceCount == 8)
    }

    @Test func sealOrUnsealWithoutKeysIsRefused() async throws {
        var migration = TokenMigration(from: InMemoryTokenStore(), to: InMemoryTokenStore())
        migration.secrets = .seal
        let error = await #expect(throws: TokenStoreError.self) { _ = try await migration.run() }
        #expect(error?.code == .invalidArgument)
    }
}
