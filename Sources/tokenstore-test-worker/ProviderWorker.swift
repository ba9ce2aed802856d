// `provider` mode: a LocalOAuth2Provider in a process of its own, for the conformance
// suite's refresh race, so the provider is never starved by the test process's other work.
//
//     tokenstore-test-worker provider CLIENT_ID CLIENT_SECRET REDIRECT_URI LIFETIME_SECONDS
//
// Prints `provider AUTHORIZATION_URL TOKEN_URL`, then `ready`, then answers lines on
// standard input: `status HEX_TOKEN` with `status HEX_TOKEN live|expired|revoked|unknown`,
// `counters` with `counters REFRESHES INVALID_GRANTS FAMILY_REVOCATIONS`, `done` with `end`.
// Stops at the end of standard input.
import Foundation
import OAuth2
import OAuth2Testing

func runProviderWorker(_ arguments: [String]) async -> Int32 {
    guard arguments.count == 4, let lifetime = Int(arguments[3]), lifetime > 0 else {
        say("error usage: tokenstore-test-worker provider CLIENT_ID CLIENT_SECRET REDIRECT_URI LIFETIME_SECONDS")
        return 2
    }
    let provider: LocalOAuth2Provider
    do {
        provider = try await LocalOAuth2Provider.start(
            LocalOAuth2Provider.Configuration(
                clients: [.init(id: arguments[0], secret: arguments[1], redirectURIs: [arguments[2]])],
                accessTokenLifetime: .seconds(lifetime)))
    } catch {
        say("error setup \(error)")
        return 1
    }
    say("provider \(provider.endpoints.authorizationURL.absoluteString) \(provider.endpoints.tokenURL.absoluteString)")
    say("ready")
    for await line in standardInputLines() {
        let parts = line.split(separator: " ")
        switch parts.first {
        case "status" where parts.count == 2:
            let status = unhex(String(parts[1])).map { provider.status(ofAccessToken: $0).rawValue } ?? "unknown"
            say("status \(parts[1]) \(status)")
        case "counters":
            let counters = provider.counters
            say("counters \(counters.refreshesServed) \(counters.invalidGrantAnswers) \(counters.familyRevocations)")
        case "done":
            say("end")
        default:
            say("error unknown command")
        }
    }
    await provider.stop()
    return 0
}

/// Standard input's lines, read on a thread of its own (reading blocks).
func standardInputLines() -> AsyncStream<String> {
    let (lines, continuation) = AsyncStream<String>.makeStream()
    Thread.detachNewThread {
        while let line = readLine() { continuation.yield(line) }
        continuation.finish()
    }
    return lines
}
