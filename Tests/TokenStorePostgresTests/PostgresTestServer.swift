import Foundation
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStorePostgres

/// The throwaway server `Scripts/test-servers` starts, read from the environment.
enum PostgresTestServer {
    static let url = ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_URL"]
    static let socketDirectory = ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_SOCKET_DIR"]
    /// A second server only the outage test talks to (stopping the shared one would fail
    /// the suites of other targets running at the same time), and its control script.
    static let outageURL = ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_OUTAGE_URL"]
    static let control = ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_CONTROL"]
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Runs when a server is configured, or in CI (where a missing server must fail, never skip).
    static var available: Bool {
        if url == nil && !isCI {
            print("TokenStorePostgresTests: TOKENSTORE_TEST_POSTGRES_URL is not set; run through Scripts/test to include them")
        }
        return url != nil || isCI
    }

    static func requireURL() throws -> String {
        try #require(url, "TOKENSTORE_TEST_POSTGRES_URL must be set (Scripts/test starts a server); CI never skips")
    }

    /// `url` (or the outage server's) with a fresh random schema, so each test has its own tables.
    static func urlWithFreshSchema(extra: String = "", outageServer: Bool = false) throws -> String {
        let base = outageServer
            ? try #require(outageURL, "TOKENSTORE_TEST_POSTGRES_OUTAGE_URL must be set (Scripts/test starts it)")
            : try requireURL()
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)" + extra
    }

    /// The same server over its unix socket.
    static func socketURL(schema: String) throws -> String {
        let base = try requireURL()
        let directory = try #require(socketDirectory)
        let components = try #require(URLComponents(string: base))
        let user = components.user ?? "tokenstore"
        let password = components.password ?? ""
        let port = components.port ?? 5432
        let encoded = directory.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? directory
        return "postgres://\(user):\(password)@\(encoded):\(port)\(components.path)?schema=\(schema)"
    }

    /// Runs the control script (`stop`, `start`) to simulate an outage.
    static func control(_ action: String) async throws {
        let script = try #require(control, "TOKENSTORE_TEST_POSTGRES_CONTROL must be set")
        let status = await ServerControl.run(script, action)
        #expect(status == 0, "postgres control \(action) failed")
    }
}

/// Every test that talks to the throwaway server, one at a time: the outage test stops the
/// server, so nothing else may run while it does.
@Suite("PostgreSQL server", .enabled(if: PostgresTestServer.available), .serialized, .serverTimeLimit)
struct PostgresServerTests {}
