import HTTPTypes
import Hummingbird
import Testing

@testable import TokenStoreHummingbird

@Suite("Sign-in helpers: loopback hosts, local paths, pending flows", .inProcessTimeLimit)
struct HelpersTests {
    @Test("loopback hosts get cookies without Secure; every other host is not loopback", arguments: [
        ("localhost", true), ("localhost:8080", true), ("127.0.0.1:8080", true), ("127.1.2.3", true),
        ("[::1]:8080", true), ("app.localhost", true),
        ("app.example", false), ("127.0.0.1.example.com", false), ("10.0.0.1:80", false), ("[2001:db8::1]", false),
        ("localhost.example", false), ("", false),
    ])
    func loopback(authority: String, expected: Bool) {
        #expect(SessionCookie.isLoopback(authority: authority) == expected)
    }

    @Test("cookies are Secure off loopback by default, and as the policy says otherwise")
    func securePolicy() {
        func request(_ authority: String) -> Request {
            Request(head: HTTPRequest(method: .get, scheme: "http", authority: authority, path: "/"), body: .init(buffer: ByteBuffer()))
        }
        typealias Configuration = AuthorizationRoutes<BasicRequestContext>.Configuration
        #expect(Configuration().cookiesAreSecure(for: request("app.example")))
        #expect(!Configuration().cookiesAreSecure(for: request("127.0.0.1:8080")))
        #expect(Configuration(secureCookies: .always).cookiesAreSecure(for: request("localhost:8080")))
        #expect(!Configuration(secureCookies: .never).cookiesAreSecure(for: request("app.example")))
    }

    @Test("only the app's own paths are local")
    func localPaths() {
        #expect(LocalPath.isLocal("/"))
        #expect(LocalPath.isLocal("/settings?tab=1"))
        for path in ["//evil.example", "/\\evil.example", "https://evil.example", "", "relative", "/a\nb"] {
            #expect(!LocalPath.isLocal(path), "\(path)")
        }
    }

    @Test("pending flows keep the newest up to the limit and ignore malformed entries")
    func pendingFlows() throws {
        var flows = PendingFlows(cookieValue: "junk.\(String(repeating: "a", count: 22)).x")
        #expect(flows.marks == [String(repeating: "a", count: 22)])
        let marks = try (0..<5).map { try PendingFlows.mark(oauthToken: "token-\($0)", sessionID: "session") }
        for mark in marks { flows.add(mark, limit: 3) }
        #expect(flows.marks == Array(marks.suffix(3)))
        #expect(PendingFlows(cookieValue: flows.cookieValue) == flows)
        // Keyed by the session: the same token in another session is another entry.
        #expect(try PendingFlows.mark(oauthToken: "token-0", sessionID: "other") != marks[0])
    }

    @Test("session ids are 256-bit base64url and differ")
    func sessionIDs() {
        let a = SessionCookie.newID()
        let b = SessionCookie.newID()
        #expect(a != b)
        #expect(a.utf8.count == 43)
        #expect(SessionCookie.isWellFormed(a))
        #expect(!SessionCookie.isWellFormed("short"))
        #expect(!SessionCookie.isWellFormed(String(repeating: "a;", count: 20)))
    }
}
