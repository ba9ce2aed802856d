import Foundation
import Logging
import Synchronization
import TokenStoreKit

/// A clock tests move by hand.
final class SteppingClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) {
        current = Mutex(TokenTimestamp.normalized(start))
    }

    var clock: TokenClock { TokenClock { [self] in current.withLock { $0 } } }

    func advance(seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

