import Testing
import TokenStoreFlow
import TokenStoreKit

@Suite("Session binding", .inProcessTimeLimit)
struct SessionBindingTests {
    let sessionID = "sess-8f3a1c2e9b7d4f60a1b2c3d4e5f60718"

    @Test func browserBindingIsAHashNeverTheRawID() throws {
        let binding = try #require(
            SessionBinding.binding(for: .browser(sessionID: sessionID), provider: "twitter", oauthToken: "rt-1"))
        #expect(binding.hasPrefix(SessionBinding.browserPrefix))
        #expect(binding.count == SessionBinding.browserPrefix.count + 64)
        #expect(!binding.contains(sessionID))
        #expect(binding.dropFirst(SessionBinding.browserPrefix.count).allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func bindingIsDeterministicAndMatches() throws {
        let session = FlowSession.browser(sessionID: sessionID)
        let first = SessionBinding.binding(for: session, provider: "twitter", oauthToken: "rt-1")
        let second = SessionBinding.binding(for: session, provider: "twitter", oauthToken: "rt-1")
        #expect(first == second)
        #expect(SessionBinding.matches(first, provider: "twitter", oauthToken: "rt-1", session: session))
    }

    @Test func bindingDependsOnEveryInput() throws {
        let base = SessionBinding.binding(for: .browser(sessionID: sessionID), provider: "twitter", oauthToken: "rt-1")
        let otherSession = SessionBinding.binding(
            for: .browser(sessionID: sessionID + "x"), provider: "twitter", oauthToken: "rt-1")
        let otherToken = SessionBinding.binding(
            for: .browser(sessionID: sessionID), provider: "twitter", oauthToken: "rt-2")
        let otherProvider = SessionBinding.binding(
            for: .browser(sessionID: sessionID), provider: "tumblr", oauthToken: "rt-1")
        #expect(Set([base, otherSession, otherToken, otherProvider]).count == 4)
        // The separators keep ("ab", "c") and ("a", "bc") apart.
        let split1 = SessionBinding.binding(for: .browser(sessionID: "c"), provider: "p", oauthToken: "ab")
        let split2 = SessionBinding.binding(for: .browser(sessionID: "bc"), provider: "p", oauthToken: "a")
        #expect(split1 != split2)
    }

    @Test func knownDigest() throws {
        // SHA-256 of "tokenstore.session-binding.v1\0p\0t\0s", computed independently with
        // `printf 'tokenstore.session-binding.v1\0p\0t\0s' | sha256sum`.
        let binding = SessionBinding.binding(for: .browser(sessionID: "s"), provider: "p", oauthToken: "t")
        #expect(binding == "s256:" + Self.expectedDigest)
    }

    static let expectedDigest = "d79bdd5d7b6baade48d9511847524df9fdd109517d60f2c3bcbc085f1fffcff4"

    @Test func mismatchesNeverMatch() {
        let session = FlowSession.browser(sessionID: sessionID)
        let stored = SessionBinding.binding(for: session, provider: "twitter", oauthToken: "rt-1")
        #expect(
            !SessionBinding.matches(
                stored, provider: "twitter", oauthToken: "rt-1", session: .browser(sessionID: "other")))
        #expect(!SessionBinding.matches(stored, provider: "twitter", oauthToken: "rt-2", session: session))
        #expect(!SessionBinding.matches(stored, provider: "twitter", oauthToken: "rt-1", session: .outOfBand))
        #expect(!SessionBinding.matches(nil, provider: "twitter", oauthToken: "rt-1", session: session))
        #expect(!SessionBinding.matches("", provider: "twitter", oauthToken: "rt-1", session: session))
        #expect(!SessionBinding.matches(sessionID, provider: "twitter", oauthToken: "rt-1", session: session))
        #expect(
            !SessionBinding.matches(
                stored.map { $0.uppercased() }, provider: "twitter", oauthToken: "rt-1", session: session))
    }

    @Test func outOfBandUsesItsMarker() {
        let stored = SessionBinding.binding(for: .outOfBand, provider: "twitter", oauthToken: "rt-1")
        #expect(stored == SessionBinding.outOfBandMarker)
        #expect(SessionBinding.matches(stored, provider: "twitter", oauthToken: "rt-1", session: .outOfBand))
        #expect(
            !SessionBinding.matches(
                stored, provider: "twitter", oauthToken: "rt-1", session: .browser(sessionID: "oob")))
        #expect(!SessionBinding.matches(nil, provider: "twitter", oauthToken: "rt-1", session: .outOfBand))
    }

    @Test func emptyBrowserSessionHasNoBinding() {
        #expect(SessionBinding.binding(for: .browser(sessionID: ""), provider: "twitter", oauthToken: "rt-1") == nil)
        #expect(
            !SessionBinding.matches("s256:", provider: "twitter", oauthToken: "rt-1", session: .browser(sessionID: "")))
    }

    @Test func flowSessionNeverShowsTheID() {
        let session = FlowSession.browser(sessionID: sessionID)
        #expect(!session.description.contains(sessionID))
        #expect(!String(reflecting: session).contains(sessionID))
        #expect(!"\(session)".contains(sessionID))
        var dumped = ""
        dump(session, to: &dumped)
        #expect(!dumped.contains(sessionID))
        #expect(session.description.contains("<redacted>"))
        #expect(FlowSession.outOfBand.description.contains("outOfBand"))
    }
}
