import Foundation
import Synchronization
import TokenStoreKit

/// The records every store benchmark writes and reads: a Twitter-shaped access token and a
/// request token with a callback URL, as a web app stores them.
enum Fixtures {
    static let provider = "twitter"
    static let userID = "1234567890"
    static let token = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"
    static let secret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
    static let screenName = "alice"
    static let accessType = "read-write"
    static let callbackURL = "https://app.example.com/oauth/callback"
    static let createdAt = Date(timeIntervalSince1970: 1_700_000_000)
    static var createdMilliseconds: Int64 { 1_700_000_000_000 }

    static let accessToken = AccessToken(
        provider: provider, userID: userID, token: token, secret: secret, screenName: screenName,
        accessType: accessType, createdAt: createdAt)
    static let key = AccessTokenKey(provider: provider, userID: userID)

    /// A fresh request token (unique name, ten minutes to live).
    static func requestToken(_ name: String) -> RequestToken {
        RequestToken(
            provider: provider, token: name, secret: secret, context: RequestTokenContext(callbackURL: callbackURL),
            createdAt: Date())
    }

    /// Unique request-token names across every take benchmark of the run.
    private static let counter = Atomic<Int>(0)
    static func nextRequestTokenName(_ tag: String) -> String {
        "bench-\(tag)-\(ProcessInfo.processInfo.processIdentifier)-\(counter.add(1, ordering: .relaxed).newValue)"
    }

    static var nowMilliseconds: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

struct BenchmarkSetupError: Error, CustomStringConvertible {
    var description: String
}

/// A value made in a benchmark's `setup` and used by its closure: the stores and C handles
/// live here between the two.
final class Holder<Value: Sendable>: Sendable {
    private let storage = Mutex<Value?>(nil)

    func set(_ value: Value?) { storage.withLock { $0 = value } }

    func get() throws -> Value {
        guard let value = storage.withLock({ $0 }) else { throw BenchmarkSetupError(description: "setup did not run") }
        return value
    }
}

/// A C floor's handle. `@unchecked Sendable`: the runner runs one benchmark at a time, and a
/// handle is used by one thread at a time (its setup, then its iterations, then teardown).
struct CHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Callers and gets per caller of the concurrent benchmarks.
enum Concurrency {
    static let callers = 16
    /// Calls per sample of the single-caller loop benchmarks (puts, gets).
    static let loopCalls = 100
    /// Gets per caller in a sample of the server drivers' 16-caller benchmarks: enough
    /// that a sample is mostly steady state (about 0.3 s), like the servers' own tools
    /// measure, rather than the start and drain of 16 tasks.
    static let serverGetsPerCaller = 1000
}

/// A fresh directory under the temporary directory.
func temporaryDirectory(_ tag: String) throws -> String {
    let path = NSTemporaryDirectory() + "tokenstore-bench-\(tag)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A C string made once and never freed (it lives as long as the benchmark process).
/// `@unchecked Sendable`: the bytes are never written after `strdup`.
struct CString: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<CChar>?

    init(_ text: String?) { pointer = text.flatMap { strdup($0) } }
}
