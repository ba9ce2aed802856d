// `refresh` mode: many tasks calling `validAccessToken` for one user against a shared
// store, for the conformance suite's cross-process refresh race.
//
//     tokenstore-test-worker refresh URL TOKEN_URL RESOURCE_URL CLIENT_ID CLIENT_SECRET \
//         PROVIDER_HEX USER_HEX SECONDS TASKS MODE
//
// MODE `run`: after `go`, TASKS tasks call `validAccessToken` for SECONDS, pausing 100 ms
// between calls, and present every fifth token to the provider's protected resource.
// Prints `calls N`, `rejected N` (a token refused before its expiry), `late N` (refused
// after it, as a loaded machine can delay the check), `error CODE N` per failure kind,
// `first-success-ms N`, then `done`.
// MODE `die-before` / `die-after`: one call; the process kills itself with SIGKILL just
// before sending its refresh to the provider, or just after the provider answered (before
// the store write), while holding the refresh lease.
import Foundation
import OAuth1
import OAuth2
import Synchronization
import TokenStoreFlow
import TokenStoreKit

#if canImport(Glibc)
    import Glibc
#endif

/// Kills this process around its first refresh, as a crash would.
final class DyingTransport: OAuth1Transport {
    let dieBefore: Bool

    init(dieBefore: Bool) { self.dieBefore = dieBefore }

    func send(_ request: OAuth1HTTPRequest, timeout: Duration) async throws -> OAuth1HTTPResponse {
        let isRefresh = String(decoding: request.body ?? Data(), as: UTF8.self).contains("grant_type=refresh_token")
        if isRefresh, dieBefore { kill(getpid(), SIGKILL) }
        let response = try await URLSessionTransport.shared.send(request, timeout: timeout)
        if isRefresh { kill(getpid(), SIGKILL) }
        return response
    }
}

/// What one task saw.
struct RefreshTally: Sendable {
    var calls = 0
    var rejected = 0
    var late = 0
    var errors: [String: Int] = [:]
    var firstSuccess: Duration?

    mutating func add(_ other: RefreshTally) {
        calls += other.calls
        rejected += other.rejected
        late += other.late
        errors.merge(other.errors, uniquingKeysWith: +)
        if let theirs = other.firstSuccess { firstSuccess = min(firstSuccess ?? theirs, theirs) }
    }
}

func runRefreshWorker(_ arguments: [String]) async -> Int32 {
    guard arguments.count == 10, let seconds = Int(arguments[7]), let tasks = Int(arguments[8]),
        let tokenURL = URL(string: arguments[1]), let resourceURL = URL(string: arguments[2]),
        let provider = unhex(arguments[5]), let userID = unhex(arguments[6]),
        ["run", "die-before", "die-after"].contains(arguments[9])
    else {
        say("error usage: tokenstore-test-worker refresh URL TOKEN_URL RESOURCE_URL CLIENT_ID CLIENT_SECRET "
            + "PROVIDER_HEX USER_HEX SECONDS TASKS run|die-before|die-after")
        return 2
    }
    let mode = arguments[9]
    do {
        let store = try await openStore(arguments[0])
        let transport: any OAuth1Transport =
            mode == "run" ? URLSessionTransport.shared : DyingTransport(dieBefore: mode == "die-before")
        let client = OAuth2Client(
            credentials: OAuth2ClientCredentials(id: arguments[3], secret: arguments[4]),
            endpoints: OAuth2ProviderEndpoints(authorizationURL: tokenURL, tokenURL: tokenURL),
            redirectURI: tokenURL, transport: transport, timeout: .seconds(2))
        let refresher = OAuth2TokenRefresher(
            store: store, client: client, skew: .milliseconds(300), leaseDuration: .seconds(3),
            waitTimeout: .seconds(20))
        let key = AccessTokenKey(provider: provider, userID: userID)
        say("ready")
        _ = readLine()
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        let tally = await withTaskGroup(of: RefreshTally.self) { group in
            for _ in 0..<(mode == "run" ? tasks : 1) {
                group.addTask {
                    var tally = RefreshTally()
                    repeat {
                        tally.calls += 1
                        do {
                            let tokenSet = try await refresher.validAccessToken(for: key)
                            if tally.firstSuccess == nil { tally.firstSuccess = ContinuousClock.now - started }
                            if tally.calls % 5 == 1 {
                                let sent = Date()
                                let response = try await client.send(
                                    OAuth1HTTPRequest(url: resourceURL), accessToken: tokenSet.accessToken)
                                if response.status != 200 {
                                    if (tokenSet.expiresAt ?? .distantFuture) > sent { tally.rejected += 1 } else { tally.late += 1 }
                                }
                            }
                        } catch let error as OAuth2RefreshError {
                            tally.errors["\(error.code)", default: 0] += 1
                        } catch let error as OAuth2Error {
                            tally.errors["oauth2 \(error.code)", default: 0] += 1
                        } catch let error as TokenStoreError {
                            tally.errors["store \(error.code)", default: 0] += 1
                        } catch {
                            tally.errors["other", default: 0] += 1
                        }
                        try? await Task.sleep(for: .milliseconds(100))
                    } while ContinuousClock.now < deadline && mode == "run"
                    return tally
                }
            }
            return await group.reduce(into: RefreshTally()) { $0.add($1) }
        }
        say("calls \(tally.calls)")
        say("rejected \(tally.rejected)")
        say("late \(tally.late)")
        for (code, count) in tally.errors.sorted(by: { $0.key < $1.key }) {
            say("error \(code.replacingOccurrences(of: " ", with: "_")) \(count)")
        }
        if let first = tally.firstSuccess {
            say("first-success-ms \(first.components.seconds * 1000 + first.components.attoseconds / 1_000_000_000_000_000)")
        }
        try await store.close()
        say("done")
        return 0
    } catch {
        say("error setup \(String(describing: error).replacingOccurrences(of: "\n", with: " "))")
        return 1
    }
}
