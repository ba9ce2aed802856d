import Foundation
import Logging
import OAuth1
import OAuth1Testing
import Synchronization
import Testing
import TokenStoreFlow
import TokenStoreKit
import TokenStoreTesting


/// No secret and no raw session id in any description, error or log line of a flow.
@Suite("Dance redaction", .serverTimeLimit)
struct DanceRedactionTests {
    @Test func nothingSecretIsPrintedOrLogged() async throws {
        let harness = try await DanceHarness.start()
        defer { Task { await harness.stop() } }
        let log = LogCapture()
        let store = DanceSpyStore()
        let flow = AuthorizationFlow(provider: "twitter", client: harness.client(), store: store, logger: log.logger(label: "dance-test"))
        let sessionID = "raw-session-" + UUID().uuidString
        let session = FlowSession.browser(sessionID: sessionID)
        var texts: [String] = ["\(session)", String(reflecting: session)]

        let start = try await flow.begin(session: session, returnTo: "/r")
        texts.append("\(start)")
        let pendingPage = try await store.listRequestTokens(after: nil, limit: 10)
        let pending = try #require(pendingPage.tokens.first { $0.token == start.requestToken })
        texts += ["\(pending)", String(reflecting: pending), "\(pending.context)"]
        let callback = try harness.approve(start)

        // Refusals first, then success, then a replay: every error's text is scanned.
        for attempt in [FlowSession.browser(sessionID: "other-" + sessionID), nil] {
            do { _ = try await flow.complete(callback: callback, session: attempt) } catch {
                texts += ["\(error)", String(reflecting: error)]
            }
        }
        let second = try await flow.begin(session: session)
        let done = try await flow.complete(
            callback: try harness.approve(second), session: session)
        texts += ["\(done)", String(reflecting: done), "\(done.accessToken)", String(reflecting: done.accessToken)]
        do { _ = try await flow.complete(callback: callback, session: session) } catch {
            texts += ["\(error)", String(reflecting: error)]
        }
        let signer = try await flow.signer(for: done.key)
        texts += ["\(signer)", String(reflecting: signer), "\(flow.client)"]

        let secrets = [harness.consumerSecret, pending.secret, done.accessToken.secret, sessionID]
        let everything = texts.joined(separator: "\n") + "\n" + log.text
        #expect(!log.text.isEmpty, "the flow logs its steps")
        #expect(texts.count > 12)
        for secret in secrets {
            #expect(!secret.isEmpty)
            #expect(!everything.contains(secret), "a secret or the session id leaked")
        }
        try await store.close()
    }
}
