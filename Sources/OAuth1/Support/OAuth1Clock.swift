import Foundation

/// The source of `oauth_timestamp`: whole seconds since the Unix epoch.
///
/// Inject a fixed clock in tests: `OAuth1Clock { 137131200 }`.
public struct OAuth1Clock: Sendable {
    private let read: @Sendable () -> Int64

    /// Creates a clock from a closure returning seconds since 1970-01-01 UTC.
    public init(_ now: @escaping @Sendable () -> Int64) {
        self.read = now
    }

    /// The current time in seconds since the epoch.
    public func now() -> Int64 { read() }

    /// The system wall clock.
    public static let system = OAuth1Clock { Int64(Date().timeIntervalSince1970.rounded(.down)) }

    /// A clock that always reads `seconds`.
    public static func fixed(_ seconds: Int64) -> OAuth1Clock { OAuth1Clock { seconds } }
}
