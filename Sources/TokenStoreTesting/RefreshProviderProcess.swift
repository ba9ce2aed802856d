import Foundation
import OAuth1

#if canImport(Glibc)
    import Glibc
#endif

/// The local OAuth 2.0 provider of the refresh race, in a `tokenstore-test-worker provider`
/// process of its own: in the test process it would share two cooperative threads with
/// every other test running, and a starved provider turns slow refreshes into timeouts
/// (whose outcome the client cannot know) and those into `invalid_grant`.
struct RefreshProviderProcess: Sendable {
    let piped: SpawnedProcess.Piped
    let authorizationURL: URL
    let tokenURL: URL

    struct Counters: Sendable {
        var refreshes: Int
        var invalidGrants: Int
        var familyRevocations: Int
    }

    struct StartFailed: Error, CustomStringConvertible {
        var description: String
    }

    static func start(worker: String, clientID: String, clientSecret: String, redirectURI: String) async throws
        -> RefreshProviderProcess
    {
        let piped = try SpawnedProcess.spawnPiped(worker, ["provider", clientID, clientSecret, redirectURI, "1"])
        let banner = await piped.read(until: "ready\n")
        guard let line = banner.split(separator: "\n").first(where: { $0.hasPrefix("provider ") }) else {
            piped.process.send(SIGKILL)
            _ = await piped.process.wait()
            throw StartFailed(description: "the provider process did not start: \(banner.suffix(1000))")
        }
        let urls = line.split(separator: " ").dropFirst().compactMap { URL(string: String($0)) }
        guard urls.count == 2 else {
            piped.process.send(SIGKILL)
            _ = await piped.process.wait()
            throw StartFailed(description: "the provider process printed no URLs: \(line)")
        }
        return RefreshProviderProcess(piped: piped, authorizationURL: urls[0], tokenURL: urls[1])
    }

    /// Sends `commands`, returns the answer lines.
    private func ask(_ commands: [String]) async throws -> [Substring] {
        try piped.input.write(contentsOf: Data((commands + ["done"]).map { $0 + "\n" }.joined().utf8))
        let answer = await piped.read(until: "end\n")
        return answer.split(separator: "\n")
    }

    func counters() async throws -> Counters {
        let lines = try await ask(["counters"])
        guard let line = lines.first(where: { $0.hasPrefix("counters ") }) else {
            throw StartFailed(description: "the provider process gave no counters: \(lines)")
        }
        let numbers = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard numbers.count == 3 else { throw StartFailed(description: "malformed counters: \(line)") }
        return Counters(refreshes: numbers[0], invalidGrants: numbers[1], familyRevocations: numbers[2])
    }

    /// The provider's status (`live`, `expired`, `revoked`, `unknown`) of each access token.
    func statuses(of tokens: Set<String>) async throws -> [String: Int] {
        guard !tokens.isEmpty else { return [:] }
        let lines = try await ask(tokens.map { "status " + WorkerProcesses.hex($0) })
        var counts: [String: Int] = [:]
        for line in lines where line.hasPrefix("status ") {
            if let status = line.split(separator: " ").last { counts[String(status), default: 0] += 1 }
        }
        return counts
    }

    func stop() async {
        try? piped.input.close()
        _ = await piped.process.wait()
    }
}
