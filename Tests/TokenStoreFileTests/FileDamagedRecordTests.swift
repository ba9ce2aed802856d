import Foundation
import Testing
import TokenStoreFile
import TokenStoreKit

/// Record files damaged by hand: fields missing, dates out of range, a directory in a
/// record's place. Each must read as `corruptedRecord` naming the file, never as a token
/// with made-up fields, never as `unavailable`, never a trap.
@Suite("FileTokenStore damaged records", .timeLimit(.minutes(5)))
struct FileDamagedRecordTests {
    static let key = AccessTokenKey(provider: "p", userID: "u")
    static let secret = "SECRET-damaged-file"

    static func accessToken() -> AccessToken {
        AccessToken(provider: "p", userID: "u", token: "t", secret: secret, createdAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    static func requestToken() -> RequestToken {
        RequestToken(provider: "p", token: "rt", secret: secret, createdAt: Date(), timeToLive: .seconds(600))
    }

    /// A store holding one access token and one request token; `body` gets the store and
    /// the paths of their record files.
    func withStore(_ body: (FileTokenStore, _ access: String, _ request: String) async throws -> Void) async throws {
        let directory = StoreTestDirectory("damaged")
        defer { directory.remove() }
        let store = try await FileTokenStore(configuration: .init(directory: directory.path))
        try await store.saveAccessToken(Self.accessToken())
        try await store.saveRequestToken(Self.requestToken())
        let access = try Self.onlyRecord(in: directory.path + "/access")
        let request = try Self.onlyRecord(in: directory.path + "/request")
        try await body(store, access, request)
        try await store.close()
    }

    static func onlyRecord(in directory: String) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
        try #require(names.count == 1, "\(names)")
        return directory + "/" + names[0]
    }

    /// Rewrites the record at `path` through `change`.
    static func edit(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    static func expectCorrupted(_ error: TokenStoreError?, path: String, operation: String, mentions: String) {
        #expect(error?.code == .corruptedRecord, "\(String(describing: error))")
        #expect(error?.record == path)
        #expect(error?.operation == operation)
        #expect(error?.message.contains(mentions) == true, "\(error?.message ?? "")")
        #expect(error?.description.contains(secret) == false)
    }

    @Test(
        "an access record with a date out of range is corruptedRecord",
        arguments: [("createdAt", Int64.max), ("updatedAt", Int64.max), ("createdAt", Int64.min), ("updatedAt", 253_402_300_800_000)])
    func accessDateOutOfRange(field: String, value: Int64) async throws {
        try await withStore { store, access, _ in
            try Self.edit(access) { $0[field] = NSNumber(value: value) }
            let error = await #expect(throws: TokenStoreError.self) { try await store.accessToken(for: Self.key) }
            Self.expectCorrupted(error, path: access, operation: "accessToken", mentions: field)
            #expect(error?.message.contains(String(value)) == true)
            let page = try await store.listAccessTokens(after: nil, limit: 10)
            #expect(page.tokens.isEmpty, "a listing skips the damaged record")
        }
    }

    static func tokenSet() -> OAuth2TokenSet {
        OAuth2TokenSet(
            provider: "p", userID: "u", accessToken: secret, expiresAt: Date(timeIntervalSince1970: 1_700_003_600),
            refreshToken: secret, idToken: secret, createdAt: Date(timeIntervalSince1970: 1_700_000_000),
            invalidatedAt: Date(timeIntervalSince1970: 1_700_000_001))
    }

    /// A store holding one token set; `body` gets the store and the path of its record file.
    func withTokenSetStore(_ body: (FileTokenStore, _ path: String) async throws -> Void) async throws {
        let directory = StoreTestDirectory("damaged-tokenset")
        defer { directory.remove() }
        let store = try await FileTokenStore(configuration: .init(directory: directory.path))
        try await store.saveTokenSet(Self.tokenSet())
        try await store.saveAccessToken(Self.accessToken())
        try await body(store, try Self.onlyRecord(in: directory.path + "/tokensets"))
        try await store.close()
    }

    /// Every call that reads the damaged token set's record reports it; a listing skips it;
    /// the access token under the same key is untouched; a save replaces the record.
    static func expectTokenSetCorrupted(_ store: FileTokenStore, path: String, mentions: String) async throws {
        let read = await #expect(throws: TokenStoreError.self) { try await store.tokenSet(for: key) }
        expectCorrupted(read, path: path, operation: "tokenSet", mentions: mentions)
        let replace = await #expect(throws: TokenStoreError.self) { try await store.replaceTokenSet(tokenSet(), ifVersion: 1) }
        expectCorrupted(replace, path: path, operation: "replaceTokenSet", mentions: mentions)
        let lease = await #expect(throws: TokenStoreError.self) {
            try await store.acquireRefreshLease(for: key, owner: "o", duration: .seconds(30))
        }
        expectCorrupted(lease, path: path, operation: "acquireRefreshLease", mentions: mentions)
        #expect(try await store.listTokenSets(after: nil, limit: 10).tokenSets.isEmpty, "a listing skips the damaged record")
        #expect(try await store.counts().tokenSets == 1, "a damaged record still counts")
        #expect(try await store.accessToken(for: key) == accessToken())
        #expect(try await store.saveTokenSet(tokenSet()))
        #expect(try await store.tokenSet(for: key)?.version == 1, "a save replaced the damaged record as a new one")
    }

    @Test(
        "a token set record with a date out of range is corruptedRecord",
        arguments: [
            ("createdAt", Int64.max), ("updatedAt", Int64.min), ("expiresAt", Int64.max), ("invalidatedAt", 253_402_300_800_000),
        ])
    func tokenSetDateOutOfRange(field: String, value: Int64) async throws {
        try await withTokenSetStore { store, path in
            try Self.edit(path) { $0[field] = NSNumber(value: value) }
            try await Self.expectTokenSetCorrupted(store, path: path, mentions: field)
        }
    }

    @Test(
        "a token set record without a required field is corruptedRecord",
        arguments: ["token", "tokenType", "provider", "userID", "updatedAt", "version"])
    func tokenSetMissingField(field: String) async throws {
        try await withTokenSetStore { store, path in
            try Self.edit(path) { $0.removeValue(forKey: field) }
            try await Self.expectTokenSetCorrupted(store, path: path, mentions: field)
        }
    }

    @Test(
        "a token set record with a version out of range, a half lease or a wrong type is corruptedRecord",
        arguments: [
            ("version", "0", "version"), ("version", "9223372036854775807", "version"),
            ("leaseOwner", "\"someone\"", "leaseOwner"), ("leaseExpiresAt", "1", "leaseExpiresAt"),
            ("version", "\"1\"", "not a token record"), ("metadata", "{\"a\": 1}", "not a token record"),
        ])
    func tokenSetBadValue(field: String, json: String, mentions: String) async throws {
        try await withTokenSetStore { store, path in
            let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
            try Self.edit(path) { $0[field] = value }
            try await Self.expectTokenSetCorrupted(store, path: path, mentions: mentions)
        }
    }

    @Test("a request record with a date out of range is corruptedRecord and stays in place", arguments: ["createdAt", "expiresAt"])
    func requestDateOutOfRange(field: String) async throws {
        try await withStore { store, _, request in
            try Self.edit(request) { $0[field] = NSNumber(value: Int64.max) }
            let error = await #expect(throws: TokenStoreError.self) { try await store.takeRequestToken("rt") }
            Self.expectCorrupted(error, path: request, operation: "takeRequestToken", mentions: field)
            #expect(FileManager.default.fileExists(atPath: request), "the damaged record is put back for repair")
            #expect(try await store.listRequestTokens(after: nil, limit: 10).tokens.isEmpty)
            #expect(try await store.counts().requestTokens == 0)
        }
    }

    @Test("an access record without a required field is corruptedRecord", arguments: ["secret", "provider", "token", "userID", "updatedAt"])
    func accessFieldMissing(field: String) async throws {
        try await withStore { store, access, _ in
            try Self.edit(access) { $0.removeValue(forKey: field) }
            let error = await #expect(throws: TokenStoreError.self) { try await store.accessToken(for: Self.key) }
            Self.expectCorrupted(error, path: access, operation: "accessToken", mentions: field)
        }
    }

    @Test("an access record whose secret is null is corruptedRecord, not an empty secret")
    func accessSecretNull() async throws {
        try await withStore { store, access, _ in
            try Self.edit(access) { $0["secret"] = NSNull() }
            let error = await #expect(throws: TokenStoreError.self) { try await store.accessToken(for: Self.key) }
            Self.expectCorrupted(error, path: access, operation: "accessToken", mentions: "secret")
        }
    }

    @Test("a request record without a required field is corruptedRecord", arguments: ["secret", "provider", "token", "expiresAt"])
    func requestFieldMissing(field: String) async throws {
        try await withStore { store, _, request in
            try Self.edit(request) { $0.removeValue(forKey: field) }
            let error = await #expect(throws: TokenStoreError.self) { try await store.takeRequestToken("rt") }
            Self.expectCorrupted(error, path: request, operation: "takeRequestToken", mentions: field)
            #expect(FileManager.default.fileExists(atPath: request))
        }
    }

    @Test("a directory where an access record belongs is corruptedRecord for reads, saves and deletes")
    func directoryAtAccessRecord() async throws {
        try await withStore { store, access, _ in
            try FileManager.default.removeItem(atPath: access)
            try FileManager.default.createDirectory(atPath: access, withIntermediateDirectories: false)
            let read = await #expect(throws: TokenStoreError.self) { try await store.accessToken(for: Self.key) }
            Self.expectCorrupted(read, path: access, operation: "accessToken", mentions: "directory")
            let save = await #expect(throws: TokenStoreError.self) { try await store.saveAccessToken(Self.accessToken()) }
            #expect(save?.code == .corruptedRecord, "\(String(describing: save))")
            #expect(save?.record == access)
            let delete = await #expect(throws: TokenStoreError.self) { try await store.deleteAccessToken(for: Self.key) }
            #expect(delete?.code == .corruptedRecord, "\(String(describing: delete))")
            #expect(try await store.listAccessTokens(after: nil, limit: 10).tokens.isEmpty)
        }
    }

    @Test("a directory where a request record belongs is corruptedRecord and is left where it was")
    func directoryAtRequestRecord() async throws {
        try await withStore { store, _, request in
            try FileManager.default.removeItem(atPath: request)
            try FileManager.default.createDirectory(atPath: request, withIntermediateDirectories: false)
            let take = await #expect(throws: TokenStoreError.self) { try await store.takeRequestToken("rt") }
            Self.expectCorrupted(take, path: request, operation: "takeRequestToken", mentions: "directory")
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: request, isDirectory: &isDirectory) && isDirectory.boolValue)
            let save = await #expect(throws: TokenStoreError.self) { try await store.saveRequestToken(Self.requestToken()) }
            #expect(save?.code == .corruptedRecord, "\(String(describing: save))")
            #expect(try await store.listRequestTokens(after: nil, limit: 10).tokens.isEmpty)
        }
    }
}
