import Foundation
import Testing
import TokenStoreFile
import TokenStoreKit

/// A directory written before token sets existed (no `tokensets` directory) opens, keeps
/// every token and every record file byte for byte, and stores token sets from then on.
@Suite("FileTokenStore directory from the previous release", .timeLimit(.minutes(5)))
struct FileUpgradeTests {
    static let created = Date(timeIntervalSince1970: 1_700_000_000.123)

    static let accessTokens: [AccessToken] = (0..<40).map { index in
        AccessToken(
            provider: index % 2 == 0 ? "twitter" : "flickr", userID: "user-\(index)/../\n", token: "token-\(index)",
            secret: "secret-\(index)", screenName: "Zoë", accessType: "read",
            createdAt: created, metadata: ["x": "\(index)"])
    }

    static let requestTokens: [RequestToken] = (0..<10).map { index in
        RequestToken(provider: "twitter", token: "request-\(index)", secret: "request-secret-\(index)", createdAt: Date(), timeToLive: .seconds(600))
    }

    /// Every file of the store except `lock`, by path relative to the store, with its bytes.
    static func snapshot(_ path: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for subdirectory in ["access", "request"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: path + "/" + subdirectory) {
                files[subdirectory + "/" + name] = try Data(contentsOf: URL(fileURLWithPath: path + "/" + subdirectory + "/" + name))
            }
        }
        files["schema-version"] = try Data(contentsOf: URL(fileURLWithPath: path + "/schema-version"))
        return files
    }

    /// The layout the previous release wrote: `schema-version`, `lock`, `access/` and
    /// `request/` with the same record format, and no `tokensets/`.
    static func makePreviousReleaseDirectory(_ path: String) async throws {
        let store = try await FileTokenStore(configuration: .init(directory: path))
        try await store.saveAccessTokens(accessTokens, policy: .overwrite)
        for token in requestTokens { try await store.saveRequestToken(token) }
        try await store.close()
        try FileManager.default.removeItem(atPath: path + "/tokensets")
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).sorted() == ["access", "lock", "request", "schema-version"])
    }

    @Test("opened with and without createIfMissing, it keeps every token and gains token sets", arguments: [true, false])
    func upgradeInPlace(createIfMissing: Bool) async throws {
        let directory = StoreTestDirectory("previous-release")
        defer { directory.remove() }
        try await Self.makePreviousReleaseDirectory(directory.path)
        let before = try Self.snapshot(directory.path)
        #expect(before.count == Self.accessTokens.count + Self.requestTokens.count + 1)

        var configuration = FileTokenStore.Configuration(directory: directory.path)
        configuration.createIfMissing = createIfMissing
        let store = try await FileTokenStore(configuration: configuration)
        #expect(try await store.schemaVersion() == 1)
        #expect(try Self.snapshot(directory.path) == before, "opening changed a record file")
        var mode = try FileManager.default.attributesOfItem(atPath: directory.path + "/tokensets")[.posixPermissions] as? Int
        #expect(mode == 0o700)
        for token in Self.accessTokens {
            #expect(try await store.accessToken(for: token.key) == token)
        }
        #expect(try await store.listAccessTokens(after: nil, limit: 100).tokens == Self.accessTokens.sorted { $0.key < $1.key })
        #expect(try await store.counts() == TokenCounts(requestTokens: Self.requestTokens.count, accessTokens: Self.accessTokens.count, tokenSets: 0))
        #expect(try await store.listTokenSets(after: nil, limit: 10).tokenSets.isEmpty)

        let key = Self.accessTokens[0].key
        let tokenSet = OAuth2TokenSet(provider: key.provider, userID: key.userID, accessToken: "oauth2", createdAt: Self.created)
        #expect(try await store.saveTokenSet(tokenSet))
        #expect(try await store.acquireRefreshLease(for: key, owner: "w", duration: .seconds(30)))
        #expect(try await store.replaceTokenSet(tokenSet, ifVersion: 1)?.version == 2)
        #expect(try await store.accessToken(for: key) == Self.accessTokens[0])
        #expect(try await store.takeRequestToken(Self.requestTokens[0].token) == Self.requestTokens[0])
        try await store.close()

        let reopened = try await FileTokenStore(configuration: configuration)
        #expect(try await reopened.tokenSet(for: key)?.version == 2)
        mode = try FileManager.default.attributesOfItem(atPath: directory.path + "/tokensets")[.posixPermissions] as? Int
        #expect(mode == 0o700)
        try await reopened.close()
    }
}
