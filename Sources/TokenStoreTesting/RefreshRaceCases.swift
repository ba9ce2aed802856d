import Foundation
import OAuth1
import OAuth2
import TokenStoreFlow
import TokenStoreKit

/// OAuth 2.0 refresh shared across processes (issue 21): worker processes call
/// `validAccessToken` for one user against the local provider (in a process of its own,
/// `RefreshProviderProcess`), which issues 1-second access tokens, rotates refresh tokens
/// and revokes the family on reuse. Needs the
/// driver's cross-process URL; skipped (like `crossProcessTake`) without one.
enum RefreshRaceCases {
    static let processes = 8
    static let tasksPerProcess = 16
    static let clientID = "race-client"
    static let clientSecret = "race-secret"
    static let redirectURI = "http://127.0.0.1/race/callback"

    /// 8 processes x 16 tasks for 30 s (TOKENSTORE_REFRESH_RACE_SECONDS overrides): no
    /// `invalid_grant`, no family revocation, one provider refresh per store write, every
    /// call answered with a token the provider issued and never revoked.
    static func race(_ c: ConformanceContext) async throws {
        guard c.capabilities.refreshRace, let url = c.capabilities.crossProcessURL, let worker = locateWorker(c) else {
            return
        }
        let seconds = ProcessInfo.processInfo.environment["TOKENSTORE_REFRESH_RACE_SECONDS"].flatMap(Int.init) ?? 30
        try await withProvider(worker: worker) { provider in
            let key = try await signIn(c, provider: provider, userID: "race-user")
            let before = try await c.store.tokenSet(for: key)
            let runs = try await WorkerProcesses.run(
                executable: worker,
                arguments: Array(
                    repeating: arguments(url, provider, key, seconds: seconds, tasks: tasksPerProcess, mode: "run"),
                    count: processes),
                watchdog: .seconds(seconds + 120))
            let tally = tallies(c, runs, expectFinished: true)
            let counters = try await provider.counters()
            let statuses = try await provider.statuses(of: tally.accessTokens)
            let after = try await c.store.tokenSet(for: key)
            let written = (after?.version ?? 0) - (before?.version ?? 0)
            print(
                "\(c.driver) refresh race: \(processes) processes x \(tasksPerProcess) tasks x \(seconds) s: "
                    + "\(tally.calls) calls, \(counters.refreshes) provider refreshes, \(written) store writes, "
                    + "\(counters.invalidGrants) invalid_grant, \(counters.familyRevocations) family revocations, "
                    + "\(tally.accessTokens.count) access tokens handed out (provider: \(statuses)), errors \(tally.errors)")
            c.checkEqual(tally.errors, [:], "validAccessToken failed in the race")
            c.checkEqual(counters.invalidGrants, 0, "a refresh token was presented twice (invalid_grant)")
            c.checkEqual(counters.familyRevocations, 0, "the provider revoked the token family")
            c.checkEqual(statuses["revoked", default: 0] + statuses["unknown", default: 0], 0,
                         "validAccessToken handed out tokens the provider did not issue or revoked: \(statuses)")
            c.checkEqual(Int64(counters.refreshes), written, "every provider refresh must be exactly one store write")
            // The tokens handed out are the first one and one per refresh: one refresh per
            // expiry, none wasted (within one: the last refresh may land as the run ends).
            c.check(abs(tally.accessTokens.count - (counters.refreshes + 1)) <= 1,
                    "\(tally.accessTokens.count) access tokens handed out for \(counters.refreshes) refreshes")
            // 1 s tokens refreshed 0.3 s before expiry: one refresh per 0.7-1 s of the run
            // when the refreshes keep up; half of the lower figure leaves room for a loaded
            // machine.
            c.check(counters.refreshes >= seconds / 2, "only \(counters.refreshes) refreshes in \(seconds) s of 1-second tokens")
            c.check(tally.calls >= processes * tasksPerProcess, "the workers made only \(tally.calls) calls")
        }
    }

    /// The lease holder killed (SIGKILL) before and after its provider call: the others
    /// carry on once the lease expires; after the call, the rotated token died with the
    /// holder and the others get `signInRequired`, never a crash or a hang.
    static func holderKilled(_ c: ConformanceContext) async throws {
        guard c.capabilities.refreshRace, let url = c.capabilities.crossProcessURL, let worker = locateWorker(c) else {
            return
        }
        for mode in ["die-before", "die-after"] {
            try await withProvider(worker: worker) { provider in
                let key = try await signIn(c, provider: provider, userID: "killed-\(mode)")
                guard var stored = try await c.store.tokenSet(for: key) else {
                    c.fail("\(mode): the signed-in token set was not stored")
                    return
                }
                stored.expiresAt = Date().addingTimeInterval(-1)
                try await c.store.saveTokenSet(stored)
                let dying = try await WorkerProcesses.run(
                    executable: worker, arguments: [arguments(url, provider, key, seconds: 1, tasks: 1, mode: mode)])
                c.check(dying.first?.status == 128 + SIGKILL,
                        "\(mode): the worker did not die by SIGKILL: \(dying.first.map { "\($0.status) \($0.output.suffix(500))" } ?? "-")")
                // The workers' lease lasts 6 s: run for twice that.
                let runs = try await WorkerProcesses.run(
                    executable: worker,
                    arguments: Array(repeating: arguments(url, provider, key, seconds: 12, tasks: 4, mode: "run"), count: 4))
                let tally = tallies(c, runs, expectFinished: true)
                let counters = try await provider.counters()
                print("\(c.driver) refresh holder killed (\(mode)): first success \(tally.firstSuccessMilliseconds.map { "\($0) ms" } ?? "none"), "
                    + "\(tally.calls) calls, errors \(tally.errors), \(counters.refreshes) refreshes, "
                    + "\(counters.invalidGrants) invalid_grant")
                if mode == "die-before" {
                    c.checkEqual(tally.errors, [:], "die-before: the others failed after the holder died")
                    c.checkEqual(counters.invalidGrants, 0, "die-before: a refresh token was presented twice")
                    // The lease lasts 6 s; the others may wait that long, not much more.
                    c.check((tally.firstSuccessMilliseconds ?? .max) <= 11_000,
                            "die-before: first success after \(tally.firstSuccessMilliseconds.map(String.init) ?? "never") ms")
                } else {
                    let codes = Set(tally.errors.keys)
                    c.checkEqual(codes, ["sign-in_required"], "die-after: the others must be told to sign in again")
                    c.checkEqual(tally.errors.values.reduce(0, +), tally.calls, "die-after: a call succeeded with a lost token")
                    c.checkEqual(counters.invalidGrants, 1, "die-after: the stale refresh token must be presented once")
                    let dead = try await c.store.tokenSet(for: key)
                    c.check(dead?.invalidatedAt != nil, "die-after: the token set was not marked for sign-in")
                }
            }
        }
    }

    // MARK: Helpers

    struct Tally {
        var calls = 0
        var errors: [String: Int] = [:]
        var firstSuccessMilliseconds: Int?
        var accessTokens: Set<String> = []
    }

    static func tallies(_ c: ConformanceContext, _ runs: [WorkerProcesses.Run], expectFinished: Bool) -> Tally {
        var tally = Tally()
        for run in runs {
            if expectFinished, run.status != 0 || !run.finished {
                c.fail("refresh worker exited with status \(run.status): \(run.output.suffix(2000))")
            }
            for line in run.output.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, parts[0] == "token", let token = WorkerProcesses.unhex(parts[1]) {
                    tally.accessTokens.insert(token)
                    continue
                }
                guard let last = parts.last, let value = Int(last) else { continue }
                switch parts.first {
                case "calls": tally.calls += value
                case "error" where parts.count == 3: tally.errors[String(parts[1]), default: 0] += value
                case "first-success-ms": tally.firstSuccessMilliseconds = min(tally.firstSuccessMilliseconds ?? value, value)
                default: break
                }
            }
        }
        return tally
    }

    static func locateWorker(_ c: ConformanceContext) -> String? {
        guard let worker = WorkerProcesses.locate(c.capabilities.workerExecutable) else {
            c.fail("crossProcessURL is set but tokenstore-test-worker was not found; build it or set Capabilities.workerExecutable")
            return nil
        }
        return worker
    }

    static func withProvider(worker: String, _ body: (RefreshProviderProcess) async throws -> Void) async throws {
        let provider = try await RefreshProviderProcess.start(
            worker: worker, clientID: clientID, clientSecret: clientSecret, redirectURI: redirectURI)
        do {
            try await body(provider)
        } catch {
            await provider.stop()
            throw error
        }
        await provider.stop()
    }

    /// Signs `userID` in through the flow against `provider`, into the case's store.
    static func signIn(_ c: ConformanceContext, provider: RefreshProviderProcess, userID: String) async throws -> AccessTokenKey {
        let client = OAuth2Client(
            credentials: OAuth2ClientCredentials(id: clientID, secret: clientSecret),
            endpoints: OAuth2ProviderEndpoints(authorizationURL: provider.authorizationURL, tokenURL: provider.tokenURL),
            redirectURI: URL(string: redirectURI)!, timeout: .seconds(10))
        let flow = OAuth2AuthorizationFlow(provider: c.prefix + "o2", client: client, store: c.store)
        let start = try await flow.begin(session: .browser(sessionID: "race-session"))
        let response = try await URLSessionTransport.shared.send(
            OAuth1HTTPRequest(url: start.authorizationURL), timeout: .seconds(30))
        guard let location = response.header(named: "Location") else {
            throw OAuth2Error(.invalidCallback, message: "the local provider did not redirect (\(response.status))")
        }
        let completion = try await flow.complete(
            callbackQuery: location, session: .browser(sessionID: "race-session"),
            identify: { _ in OAuth2UserIdentity(userID: userID) })
        return completion.tokenSet.key
    }

    static func arguments(
        _ url: String, _ provider: RefreshProviderProcess, _ key: AccessTokenKey, seconds: Int, tasks: Int, mode: String
    ) -> [String] {
        [
            "refresh", url, provider.tokenURL.absoluteString, clientID, clientSecret, WorkerProcesses.hex(key.provider), WorkerProcesses.hex(key.userID),
            String(seconds), String(tasks), mode,
        ]
    }
}
