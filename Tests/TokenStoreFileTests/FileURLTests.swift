import Foundation
import Testing
import TokenStoreFile
import TokenStoreKit

@Suite("file: URLs", .inProcessTimeLimit)
struct FileURLTests {
    @Test("local file URLs give their directory", arguments: [
        ("file:///var/lib/app/tokens", "/var/lib/app/tokens"),
        ("file://localhost/var/lib/app", "/var/lib/app"),
        ("FILE:///tmp/x", "/tmp/x"),
        ("file:/tmp/single-slash", "/tmp/single-slash"),
        ("file:///tmp/with%20space/%C3%A9", "/tmp/with space/é"),
        ("file:///tmp/trailing/", "/tmp/trailing/"),
    ])
    func parses(url: String, directory: String) throws {
        #expect(try FileTokenStore.directory(fromURL: url) == directory)
    }

    @Test("bad file URLs are misconfigured and name the URL", arguments: [
        "file://db.example.com/var/lib", "file:relative/dir", "file:", "file://", "file:///", "file:////",
        "file:///tmp/x?mode=ro", "file:///tmp/x#frag", "file:///tmp/%zz", "file:///tmp/%00x", "file://localhost",
    ])
    func rejects(url: String) async throws {
        let error = try #require(throws: TokenStoreError.self) { try FileTokenStore.directory(fromURL: url) }
        #expect(error.code == .misconfigured)
        #expect(error.message.contains(url) || url == "file:")
        #expect(error.store == url)
        let registry = TokenStoreRegistry(drivers: [FileTokenStore.driver])
        let viaRegistry = await #expect(throws: TokenStoreError.self) { _ = try await registry.open(url) }
        #expect(viaRegistry?.code == .misconfigured)
    }

    @Test("the registry opens a file: URL with percent-decoding")
    func opensThroughRegistry() async throws {
        let directory = StoreTestDirectory("url dir")
        defer { directory.remove() }
        let encoded = directory.path.replacingOccurrences(of: " ", with: "%20")
        TokenStoreRegistry.shared.register(FileTokenStore.driver)
        let store = try await TokenStoreRegistry.shared.open("file://" + encoded)
        #expect(store.displayName == "file://" + directory.path)
        #expect(FileManager.default.fileExists(atPath: directory.path + "/schema-version"))
        try await store.close()
    }
}
