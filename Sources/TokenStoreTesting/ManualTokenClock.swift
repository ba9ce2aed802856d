import Foundation
import Synchronization
import TokenStoreKit

/// A clock that moves only when told, so tests prove expiry without sleeping.
///
/// ```swift
/// let clock = ManualTokenClock()
/// let store = InMemoryTokenStore(clock: clock.clock)
/// clock.advance(by: .seconds(601))   // every 10-minute request token has now expired
/// ```
public final class ManualTokenClock: Sendable {
    private let current: Mutex<Date>

    /// Creates a clock reading `start`, rounded to whole milliseconds.
    public init(_ start: Date = Date()) {
        current = Mutex(TokenTimestamp.normalized(start))
    }

    /// The time the clock reads.
    public var now: Date { current.withLock { $0 } }

    /// A `TokenClock` reading this clock, to hand to a store.
    public var clock: TokenClock {
        TokenClock { [self] in now }
    }

    /// Moves the clock forward (or back, for a negative duration) by `duration`.
    public func advance(by duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        current.withLock { $0 = TokenTimestamp.normalized($0.addingTimeInterval(seconds)) }
    }

    /// Sets the clock to `date`, rounded to whole milliseconds.
    public func set(_ date: Date) {
        current.withLock { $0 = TokenTimestamp.normalized(date) }
    }
}
