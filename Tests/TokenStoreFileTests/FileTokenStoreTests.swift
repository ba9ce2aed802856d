import Foundation
import Testing
import TokenStoreFile
import TokenStoreKit
import TokenStoreTesting

@Suite("FileTokenStore on disk", .serverTimeLimit)
struct FileTokenStoreTests {
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    static func entries(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    static func token(_ userID: String, provider: String = "p") -> AccessToken {
        AccessToken(provider: provider, userID: userID, token: "t-\(userID)", secret: "s-\(userID)", createdAt: Date())
    }

    @Test("files are 0600 and directories 0700")
    func permissions() async throws {
        let directory = StoreTestDirectory("perm")
        defer { directory.remove() }
        let nested = directory.path + "/deeper/store"
        let store = try await FileTokenStore(configuration: .init(directory: nested))
        try await store.saveAccessToken(Self.token("u"))
        try await store.saveRequestToken(RequestToken(provider: "p", token: "r", secret: "s", createdAt: Date()))
        try await store.saveTokenSet(OAuth2TokenSet(provider: "p", userID: "u", accessToken: "a", createdAt: Date()))
        for path in [directory.path, directory.path + "/deeper", nested, nested + "/access", nested + "/request", nested + "/tokensets"] {
            #expect(try Self.mode(path) == 0o700, "\(path)")
        }
        var files = [nested + "/schema-version", nested + "/lock"]
        files += try Self.entries(nested + "/access").map { nested + "/access/" + $0 }
        files += try Self.entries(nested + "/request").map { nested + "/request/" + $0 }
        files += try Self.entries(nested + "/tokensets").map { nested + "/tokensets/" + $0 }
        #expect(files.count == 5)
        for path in files {
            #expect(try Self.mode(path) == 0o600, "\(path)")
        }
        try await store.close()
    }

    @Test("a directory group or others can write to is refused", arguments: [0o770, 0o702, 0o777, 0o720])
    func refusesSharedDirectory(mode: Int) async throws {
        let directory = StoreTestDirectory("shared")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: directory.path)
        let error = try await #require(throws: TokenStoreError.self) { try await FileTokenStore(configuration: .init(directory: directory.path)) }
        #expect(error.code == .permissionDenied)
        #expect(error.message.contains(directory.path) && error.message.contains("chmod 700"))
        #expect(error.operation == "open")
    }

    @Test("a shared subdirectory is refused too")
    func refusesSharedSubdirectory() async throws {
        let directory = StoreTestDirectory("sub")
        defer { directory.remove() }
        try await FileTokenStore(configuration: .init(directory: directory.path)).close()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path + "/access")
        let error = try await #require(throws: TokenStoreError.self) { try await FileTokenStore(configuration: .init(directory: directory.path)) }
        #expect(error.code == .permissionDenied)
        #expect(error.record == directory.path + "/access")
    }

    @Test("a path that is a file is refused")
    func refusesFile() async throws {
        let directory = StoreTestDirectory("file")
        defer { directory.remove() }
        #expect(FileManager.default.createFile(atPath: directory.path, contents: Data("x".utf8)))
        let error = try await #require(throws: TokenStoreError.self) { try await FileTokenStore(configuration: .init(directory: directory.path)) }
        #expect(error.code == .misconfigured)
    }

    @Test("no temp or claim files are left behind; record names are hex")
    func noTempFiles() async throws {
        let directory = StoreTestDirectory("temp")
        defer { directory.remove() }
        let store = try await FileTokenStore(configuration: .init(directory: directory.path))
        for index in 0..<20 {
            try await store.saveAccessToken(Self.token("../u\(index)/\n"))
            try await store.saveRequestToken(RequestToken(provider: "p", token: "../r\(index)", secret: "s", createdAt: Date()))
            try await store.saveTokenSet(OAuth2TokenSet(provider: "p", userID: "../u\(index)/\n", accessToken: "a", createdAt: Date()))
        }
        for index in 0..<10 {
            _ = try await store.takeRequestToken("../r\(index)")
            _ = try await store.deleteAccessToken(for: AccessTokenKey(provider: "p", userID: "../u\(index)/\n"))
            _ = try await store.deleteTokenSet(for: AccessTokenKey(provider: "p", userID: "../u\(index)/\n"))
        }
        _ = try await store.takeRequestToken("missing")
        _ = try await store.purgeExpiredRequestTokens()
        let access = try Self.entries(directory.path + "/access")
        let request = try Self.entries(directory.path + "/request")
        let tokenSets = try Self.entries(directory.path + "/tokensets")
        #expect(access.count == 10 && request.count == 10 && tokenSets.count == 10)
        let allowed = Set("0123456789abcdef.json")
        for name in access + request + tokenSets {
            #expect(name.allSatisfy { allowed.contains($0) }, "unexpected file \(name)")
        }
        #expect(try Self.entries(directory.path) == ["access", "lock", "request", "schema-version", "tokensets"])
        try await store.close()
    }

    @Test("a corrupted or foreign record gives a typed error naming it; other keys keep working",
          arguments: ["{not json", "{\"hello\": \"world\"}", "", "\u{0}\u{1}binary"])
    func corruptedRecord(content: String) async throws {
        let directory = StoreTestDirectory("corrupt")
        defer { directory.remove() }
        let store = try await FileTokenStore(configuration: .init(directory: directory.path))
        let good = Self.token("good")
        let bad = Self.token("bad")
        try await store.saveAccessToken(good)
        try await store.saveAccessToken(bad)
        let badPath = try #require(Self.entries(directory.path + "/access").map { directory.path + "/access/" + $0 }
            .first { FileManager.default.contents(atPath: $0).map { String(decoding: $0, as: UTF8.self).contains("t-bad") } ?? false })
        try Data(content.utf8).write(to: URL(fileURLWithPath: badPath))

        let error = await #expect(throws: TokenStoreError.self) { _ = try await store.accessToken(for: bad.key) }
        #expect(error?.code == .corruptedRecord)
        #expect(error?.record == badPath)
        #expect(error?.operation == "accessToken")
        #expect(error.map { $0.description.contains(badPath) } == true)
        #expect(try await store.accessToken(for: good.key) == good)
        let page = try await store.listAccessTokens(after: nil, limit: 10)
        #expect(page.tokens == [good])
        #expect(try await store.counts().accessTokens == 2)

        // Saving over the damaged record repairs it.
        try await store.saveAccessToken(bad)
        #expect(try await store.accessToken(for: bad.key) == bad)

        // The same for a request token: take names the file and leaves it for inspection.
        let request = RequestToken(provider: "p", token: "req", secret: "s", createdAt: Date())
        let other = RequestToken(provider: "p", token: "req2", secret: "s", createdAt: Date())
        try await store.saveRequestToken(request)
        try await store.saveRequestToken(other)
        let requestPath = directory.path + "/request/" + "726571.json"
        try Data(content.utf8).write(to: URL(fileURLWithPath: requestPath))
        let takeError = await #expect(throws: TokenStoreError.self) { _ = try await store.takeRequestToken("req") }
        #expect(takeError?.code == .corruptedRecord)
        #expect(takeError?.record == requestPath)
        #expect(FileManager.default.fileExists(atPath: requestPath))
        #expect(try await store.listRequestTokens(after: nil, limit: 10).tokens == [other])
        #expect(try await store.counts().requestTokens == 1)
        #expect(try await store.purgeExpiredRequestTokens() == 0)
        #expect(try await store.takeRequestToken("req2") == other)
        try await store.close()
    }

    @Test("a record moved under another key's name is reported, not served")
    func misplacedRecord() async throws {
        let directory = StoreTestDirectory("moved")
        defer { directory.remove() }
        let store = try await FileTokenStore(configuration: .init(directory: directory.path))
        let alice = Self.token("alice")
        try await store.saveAccessToken(alice)
        let alicePath = directory.path + "/access/70.616c696365.json"
        let malloryPath = directory.path + "/access/70.6d616c6c6f7279.json"
        try FileManager.default.copyItem(atPath: alicePath, toPath: malloryPath)
        let error = await #expect(throws: TokenStoreError.self) {
            _ = try await store.accessToken(for: AccessTokenKey(provider: "p", userID: "mallory"))
        }
        #expect(error?.code == .corruptedRecord && error?.record == malloryPath)
        #expect(try await store.listAccessTokens(after: nil, limit: 10).tokens == [alice])

        let request = RequestToken(provider: "p", token: "a", secret: "s", createdAt: Date())
        try await store.saveRequestToken(request)
        let moved = directory.path + "/request/62.json"
        try FileManager.default.moveItem(atPath: directory.path + "/request/61.json", toPath: moved)
        let takeError = await #expect(throws: TokenStoreError.self) { _ = try await store.takeRequestToken("b") }
        #expect(takeError?.code == .corruptedRecord && takeError?.record == moved)
        #expect(try await store.listRequestTokens(after: nil, limit: 10).tokens.isEmpty)
        #expect(try await store.takeRequestToken("a") == nil)
        try await store.close()
    }

    @Test("files with other names are ignored")
    func foreignFilesIgnored() async throws {
        let directory = StoreTestDirectory("foreign")
        defer { directory.remove() }
        let store = try await FileTokenStore(configuration: .init(directory: directory.path))
        let token = Self.token("u")
        try await store.saveAccessToken(token)
        for name in ["README.txt", "notes.json", ".DS_Store", "zz.json~", "x.y.z.json"] {
            try Data("junk".utf8).write(to: URL(fileURLWithPath: directory.path + "/access/" + name))
            try Data("junk".utf8).write(to: URL(fileURLWithPath: directory.path + "/request/" + name))
        }
        #expect(try await store.listAccessTokens(after: nil, limit: 100).tokens == [token])
        #expect(try await store.counts() == TokenCounts(requestTokens: 0, accessTokens: 1))
        #expect(try await store.listRequestTokens(after: nil, limit: 100).tokens.isEmpty)
        try await store.close()
    }

    @Test("a newer schema version is refused, a damaged one is reported")
    func schemaVersion() async throws {
        let directory = StoreTestDirectory("schema")
        defer { directory.remove() }
        let store = try await FileTokenStore(configuration: .init(directory: directory.path))
        #expect(try await store.schemaVersion() == 1)
        try await store.close()
        let versionFile = directory.path + "/schema-version"
        #expect(try String(contentsOfFile: versionFile, encoding: .utf8) == "1\n")
        try Data("2\n".utf8).write(to: URL(fileURLWithPath: versionFile))
        let tooNew = try await #require(throws: TokenStoreError.self) { try await FileTokenStore(configuration: .init(directory: directory.path)) }
        #expect(tooNew.code == .schemaTooNew)
        #expect(tooNew.record == versionFile)
        try Data("banana".utf8).write(to: URL(fileURLWithPath: versionFile))
        let damaged = try await #require(throws: TokenStoreError.self) { try await FileTokenStore(configuration: .init(directory: directory.path)) }
        #expect(damaged.code == .corruptedRecord)
    }

    @Test("tokens survive reopening, and two stores over one directory see each other")
    func reopen() async throws {
        let directory = StoreTestDirectory("reopen")
        defer { directory.remove() }
        let first = try await FileTokenStore(configuration: .init(directory: directory.path))
        let second = try await FileTokenStore(configuration: .init(directory: directory.path + "/"))
        let token = Self.token("u")
        try await first.saveAccessToken(token)
        #expect(try await second.accessToken(for: token.key) == token)
        try await first.close()
        try await second.close()
        let reopened = try await FileTokenStore(configuration: .init(directory: directory.path))
        #expect(try await reopened.accessToken(for: token.key) == token)
        #expect(reopened.displayName == "file://" + directory.path)
        try await reopened.close()
    }

    @Test("keys too long for a file name are stored under a hash and still list in order")
    func longKeys() async throws {
        let directory = StoreTestDirectory("long")
        defer { directory.remove() }
        let store = try await FileTokenStore(configuration: .init(directory: directory.path))
        let tokens = [Self.token(String(repeating: "b", count: 300)), Self.token("a"), Self.token("c"),
                      Self.token(String(repeating: "a", count: 200) + "z")]
        for token in tokens { try await store.saveAccessToken(token) }
        var listed: [AccessToken] = []
        var cursor: AccessTokenKey?
        repeat {
            let page = try await store.listAccessTokens(after: cursor, limit: 1)
            listed += page.tokens
            cursor = page.nextCursor
        } while cursor != nil
        #expect(listed.map(\.key) == tokens.map(\.key).sorted())
        let long = RequestToken(provider: "p", token: String(repeating: "r", count: 500), secret: "s", createdAt: Date())
        try await store.saveRequestToken(long)
        #expect(try await store.listRequestTokens(after: nil, limit: 5).tokens == [long])
        #expect(try await store.takeRequestToken(long.token) == long)
        #expect(try await store.deleteAccessToken(for: tokens[0].key))
        #expect(try await store.accessToken(for: tokens[0].key) == nil)
        try await store.close()
    }

    @Test("purge counts exactly the expired tokens of a private store")
    func purgeExact() async throws {
        let directory = StoreTestDirectory("purge")
        defer { directory.remove() }
        let now = Date()
        let store = try await FileTokenStore(configuration: .init(directory: directory.path, clock: TokenClock { now }))
        for index in 0..<5 {
            try await store.saveRequestToken(RequestToken(
                provider: "p", token: "r\(index)", secret: "s", createdAt: now.addingTimeInterval(-100),
                timeToLive: .seconds(index < 3 ? 10 : 1000)))
        }
        #expect(try await store.purgeExpiredRequestTokens() == 3)
        #expect(try await store.purgeExpiredRequestTokens() == 0)
        #expect(try Self.entries(directory.path + "/request").count == 2)
        try await store.close()
    }

    @Test("relative and root paths are refused")
    func badPaths() async {
        for path in ["relative/dir", "", "/", "//"] {
            await #expect(throws: TokenStoreError.self) { try await FileTokenStore(configuration: .init(directory: path)) }
        }
    }
}

@Suite("FileTokenStore modes whatever the umask", .serverTimeLimit)
struct FileTokenStoreUmaskTests {
    /// Opens a store in a child process started under `umask 777`, which would leave
    /// mode 000 without the explicit chmod; the test process's own umask (shared by
    /// parallel tests) is never touched.
    @Test("a store created under umask 777 is still 0700/0600")
    func permissiveUmask() async throws {
        let worker = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("tokenstore-test-worker").path
        try #require(FileManager.default.isExecutableFile(atPath: worker), "tokenstore-test-worker beside the test binary")
        let directory = StoreTestDirectory("umask")
        defer { directory.remove() }
        let child = try SpawnedProcess.spawn(
            "/bin/sh", ["-c", "umask 777; exec \"$0\" take \"$1\" > /dev/null", worker, "file://" + directory.path])
        let status = await child.wait().status
        #expect(status == 0)
        for path in [directory.path, directory.path + "/access", directory.path + "/request"] {
            #expect(try FileTokenStoreTests.mode(path) == 0o700, "\(path)")
        }
        for path in [directory.path + "/schema-version", directory.path + "/lock"] {
            #expect(try FileTokenStoreTests.mode(path) == 0o600, "\(path)")
        }
    }
}
