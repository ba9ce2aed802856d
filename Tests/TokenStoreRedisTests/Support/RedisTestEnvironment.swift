import Foundation
import Glibc
import Testing
import TokenStoreKit
import TokenStoreRedis
import TokenStoreTesting

/// The throwaway servers `Scripts/test-servers` starts, read from the environment.
enum RedisTestEnvironment {
    static let environment = ProcessInfo.processInfo.environment

    /// `redis://tokenstore:PW@127.0.0.1:PORT/0` (an ACL user).
    static var aclURL: String? { environment["TOKENSTORE_TEST_REDIS_URL"] }
    /// `redis://:PW@127.0.0.1:PORT/0` (the default user's password).
    static var passwordURL: String? { environment["TOKENSTORE_TEST_REDIS_PASSWORD_URL"] }
    /// The server's unix socket path.
    static var socketPath: String? { environment["TOKENSTORE_TEST_REDIS_SOCKET"] }
    /// A second server (ACL user) only the restart test talks to: stopping the shared one
    /// would fail the suites of other targets running at the same time.
    static var outageURL: String? { environment["TOKENSTORE_TEST_REDIS_OUTAGE_URL"] }
    /// A script taking `stop`, `start` or `restart` for the outage server.
    static var control: String? { environment["TOKENSTORE_TEST_REDIS_CONTROL"] }

    static var isCI: Bool { environment["CI"] == "true" }

    /// Server suites run when the server is configured, and always under CI=true (where a
    /// missing variable then fails the `#require` instead of skipping).
    static var serverTestsEnabled: Bool { aclURL != nil || isCI }

    static let disabledReason: Comment =
        "TOKENSTORE_TEST_REDIS_URL is not set: run under Scripts/test-servers (CI=true makes this a failure)"

    static func requireACLURL() throws -> String {
        try #require(aclURL, "TOKENSTORE_TEST_REDIS_URL is not set; run the tests under Scripts/test-servers")
    }

    static func requireOutageURL() throws -> String {
        try #require(outageURL, "TOKENSTORE_TEST_REDIS_OUTAGE_URL is not set; run the tests under Scripts/test-servers")
    }

    static func requirePasswordURL() throws -> String {
        try #require(passwordURL, "TOKENSTORE_TEST_REDIS_PASSWORD_URL is not set; run the tests under Scripts/test-servers")
    }

    static func requireSocketPath() throws -> String {
        try #require(socketPath, "TOKENSTORE_TEST_REDIS_SOCKET is not set; run the tests under Scripts/test-servers")
    }

    /// The password in the ACL URL, for checks that it never shows up in output.
    static func password(in url: String) -> String? {
        guard let at = url.lastIndex(of: "@"), let schemeEnd = url.range(of: "://") else { return nil }
        let userInfo = url[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return nil }
        return String(userInfo[userInfo.index(after: colon)...])
    }

    /// A prefix no other run or test uses.
    static func randomPrefix() -> String {
        "tstest-" + UUID().uuidString.prefix(8).lowercased()
    }

    /// `url` with `?prefix=` (and more parameters) appended.
    static func url(_ base: String, prefix: String, _ extra: String = "") -> String {
        base + (base.contains("?") ? "&" : "?") + "prefix=" + prefix + (extra.isEmpty ? "" : "&" + extra)
    }

    /// Deletes every key under `prefix` (tests only: KEYS is fine on a throwaway server).
    static func removeKeys(prefix: String, using store: RedisTokenStore) async throws {
        let reply = try await store.rawCommand(["KEYS", "{\(prefix)}:*"])
        guard case .array(let items) = reply else { return }
        let keys = items.compactMap { item -> String? in
            if case .bulk(let bytes) = item { return String(decoding: bytes, as: UTF8.self) }
            return nil
        }
        if !keys.isEmpty { _ = try await store.rawCommand(["DEL"] + keys) }
    }

    /// Opens a store on `url` under a fresh prefix, runs `body`, removes the keys and
    /// closes the store, also when `body` throws.
    static func withStore<Result>(
        url base: String, extra: String = "", clock: TokenClock = .system,
        _ body: (RedisTokenStore, String) async throws -> Result
    ) async throws -> Result {
        let prefix = randomPrefix()
        let store = try await RedisTokenStore(url: url(base, prefix: prefix, extra), options: TokenStoreOptions(clock: clock))
        do {
            let result = try await body(store, prefix)
            try await removeKeys(prefix: prefix, using: store)
            try await store.close()
            return result
        } catch {
            try? await removeKeys(prefix: prefix, using: store)
            try? await store.close()
            throw error
        }
    }

    /// Runs the control script without blocking a cooperative thread.
    static func runControl(_ command: String) async throws {
        let script = try #require(control, "TOKENSTORE_TEST_REDIS_CONTROL is not set; run the tests under Scripts/test-servers")
        let status = await ServerControl.run(script, command)
        #expect(status == 0, "\(script) \(command) failed")
    }
}
