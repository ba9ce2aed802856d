import Foundation

/// Where a store reads the current time: expiry checks, `createdAt`/`updatedAt` stamps.
///
/// Stores take a clock in their configuration so tests can move time forward instead of
/// sleeping (see `ManualTokenClock` in `TokenStoreTesting`).
public struct TokenClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock that reads `now()`.
    public init(_ now: @escaping @Sendable () -> Date) {
        self.read = now
    }

    /// The current time.
    public func now() -> Date { read() }

    /// The system's wall clock.
    public static let system = TokenClock { Date() }
}
