import Foundation

/// The time source the client turns `expires_in` into an absolute expiry with.
///
/// Inject a fixed clock in tests: `OAuth2Clock.fixed(Date(timeIntervalSince1970: 1_700_000_000))`.
public struct OAuth2Clock: Sendable {
    private let read: @Sendable () -> Date

    /// Creates a clock from a closure returning the current time.
    public init(_ now: @escaping @Sendable () -> Date) {
        self.read = now
    }

    /// The current time.
    public func now() -> Date { read() }

    /// The system wall clock.
    public static let system = OAuth2Clock { Date() }

    /// A clock that always reads `date`.
    public static func fixed(_ date: Date) -> OAuth2Clock { OAuth2Clock { date } }
}
