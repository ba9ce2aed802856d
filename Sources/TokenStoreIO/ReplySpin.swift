/// How long a reply wait on one connection should poll inline before parking, learned from
/// the replies that connection has seen.
///
/// A fixed spin is wrong both ways: shorter than a loopback round trip it parks nearly
/// every call and pays the hop back from the waiter thread anyway; longer than the reply of a remote server it burns a core for nothing. So
/// the budget follows a moving average of observed reply times: 1.5x the average plus a
/// margin, up to ``ceiling``, and nothing when replies take longer than the ceiling (a
/// remote server: park at once). `ReplyWait.adaptive` uses only whether the budget is
/// above zero (wait inline at all); its wait is bounded by `SocketWaiter.inlineBlockBound`.
///
/// Owned by one connection and only touched by the task holding it, like the connection.
package struct ReplySpin: Sendable {
    /// The longest inline spin; a reply slower than this is waited for parked.
    package static let ceiling = Duration.microseconds(300)
    /// Where the average starts: a typical loopback round trip.
    private static let initialNanoseconds = 60_000.0
    private static let marginNanoseconds = 20_000.0

    private var averageNanoseconds = ReplySpin.initialNanoseconds

    package init() {}

    /// The spin for the next wait.
    package var budget: Duration {
        let ceilingNanoseconds = Double(Self.ceiling.components.attoseconds / 1_000_000_000)
        if averageNanoseconds > ceilingNanoseconds { return .zero }
        let wanted = min(averageNanoseconds * 1.5 + Self.marginNanoseconds, ceilingNanoseconds)
        return .nanoseconds(Int64(wanted))
    }

    /// Folds in how long one request took from send to its reply being readable.
    package mutating func record(_ elapsed: Duration) {
        let (seconds, attoseconds) = elapsed.components
        let nanoseconds = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
        // Clamp so one stall (a checkpoint, a lock wait) does not switch spinning off for
        // long: the average needs a run of slow replies to pass the ceiling.
        let sample = min(nanoseconds, 4 * Double(Self.ceiling.components.attoseconds / 1_000_000_000))
        averageNanoseconds += (sample - averageNanoseconds) / 8
    }
}
