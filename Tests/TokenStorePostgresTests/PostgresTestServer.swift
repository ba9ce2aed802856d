import Foundation

#if canImport(Glibc)
    import Glibc
#endif
import Testing
import TokenStoreKit

@testable import TokenStorePostgres

/// The throwaway server `Scripts/test-servers` starts, read from the environment.
enum PostgresTestServer {
    static let url = ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_URL"]
    static let socketDirectory = ProcessInfo.processInfo.environment["TOKENSTORE_TEST_POSTGRES_SOCKET_DIR"]
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

    /// `url` with a fresh random schema, so each test has its own tables.
    static func urlWithFreshSchema(extra: String = "") throws -> String {
        let base = try requireURL()
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

    /// Runs the control script (`stop`, `start`) to simulate an outage, on a thread of its
    /// own so no cooperative thread blocks. posix_spawn + waitpid rather than Foundation's
    /// Process, which did not reap the script under the test runner (it stayed a zombie and
    /// `waitUntilExit` never returned); the child gets default signal handling so the server
    /// it starts still obeys SIGTERM at cleanup.
    static func control(_ action: String) async throws {
        let script = try #require(control, "TOKENSTORE_TEST_POSTGRES_CONTROL must be set")
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var pid: pid_t = 0
                let argv: [UnsafeMutablePointer<CChar>?] = [strdup(script), strdup(action), nil]
                defer { for pointer in argv { free(pointer) } }
                var attributes = posix_spawnattr_t()
                posix_spawnattr_init(&attributes)
                defer { posix_spawnattr_destroy(&attributes) }
                var empty = sigset_t()
                sigemptyset(&empty)
                var defaults = sigset_t()
                sigemptyset(&defaults)
                for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
                posix_spawnattr_setsigmask(&attributes, &empty)
                posix_spawnattr_setsigdefault(&attributes, &defaults)
                posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
                guard posix_spawn(&pid, script, nil, &attributes, argv, environ) == 0 else {
                    continuation.resume(returning: -1)
                    return
                }
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: (raw >> 8) & 0xFF)
            }
        }
        #expect(status == 0, "postgres control \(action) failed")
    }
}

/// Every test that talks to the throwaway server, one at a time: the outage test stops the
/// server, so nothing else may run while it does.
@Suite("PostgreSQL server", .enabled(if: PostgresTestServer.available), .serialized)
struct PostgresServerTests {}
