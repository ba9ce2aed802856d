import Foundation
import Logging
import OAuth1
import Synchronization
import Testing
import TokenStoreFile
import TokenStoreFlow
import TokenStoreKit
import TokenStoreTesting

/// The dance with a store: the flow conformance suite against the built-in drivers, the
/// same flow across two store instances over one directory (two processes), the typed
/// errors, and redaction of every secret and the raw session id.
@Suite("Dance with a store", .serverTimeLimit)
struct DanceTests {
    /// Only the drivers these tests use: the shared registry knows `memory:` alone, and what
    /// other suites register on it must not decide whether these pass.
    static let registry = TokenStoreRegistry(drivers: [FileTokenStore.driver])

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "tokenstore-dance-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test func flowConformanceFile() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await AuthorizationFlowConformance(name: "file") { clock in
            try await Self.registry.open("file://\(directory)", options: TokenStoreOptions(clock: clock))
        }.run()
    }

    /// Begin in one process, complete in another, sign in a third: three store instances
    /// over one directory, each with its own flow.
    @Test func acrossProcessesOverOneDirectory() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let harness = try await DanceHarness.start()
        defer { Task { await harness.stop() } }
        func worker() async throws -> AuthorizationFlow {
            let store = try await Self.registry.open("file://\(directory)")
            return AuthorizationFlow(provider: "twitter", client: harness.client(), store: store)
        }
        let redirect = try await worker()
        let callbackWorker = try await worker()
        let apiWorker = try await worker()
        let session = FlowSession.browser(sessionID: "cookie-" + UUID().uuidString)

        let start = try await redirect.begin(session: session, returnTo: "/home")
        let callback = try harness.approve(start)
        let done = try await callbackWorker.complete(callback: callback, session: session)
        #expect(done.returnTo == "/home")

        let replay = await #expect(throws: AuthorizationFlowError.self) {
            try await redirect.complete(callback: callback, session: session)
        }
        #expect(replay?.code == .requestTokenNotFound)
        #expect(replay?.message.contains("unknown, expired or already used") == true)

        #expect(try await apiWorker.store.accessToken(for: done.key) == done.accessToken)
        let response = try await apiWorker.send(OAuth1HTTPRequest(url: harness.protectedResourceURL), as: done.key)
        #expect(response.status == 200)
        for flow in [redirect, callbackWorker, apiWorker] { try await flow.store.close() }
    }

    /// Both workers race to complete the same callback: exactly one wins.
    @Test func concurrentCompletionsHaveOneWinner() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let harness = try await DanceHarness.start()
        defer { Task { await harness.stop() } }
        var flows: [AuthorizationFlow] = []
        for _ in 0..<4 {
            let store = try await Self.registry.open("file://\(directory)")
            flows.append(AuthorizationFlow(provider: "twitter", client: harness.client(), store: store))
        }
        let session = FlowSession.browser(sessionID: "cookie-" + UUID().uuidString)
        let start = try await flows[0].begin(session: session)
        let callback = try harness.approve(start)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for flow in flows {
                group.addTask {
                    do {
                        _ = try await flow.complete(callback: callback, session: session)
                        return "won"
                    } catch let error as AuthorizationFlowError where error.code == .requestTokenNotFound {
                        return "not found"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "won" }.count == 1)
        #expect(outcomes.filter { $0 == "not found" }.count == flows.count - 1)
        for flow in flows { try await flow.store.close() }
    }
}
