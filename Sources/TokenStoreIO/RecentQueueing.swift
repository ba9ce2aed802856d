// `timespec` may be owned by the system shim's module (its header includes <time.h>),
// and member-import visibility then asks for that module here too.
import CTokenStoreSystem
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization
import TokenStoreKit

/// When a call of a ``CallCoalescer`` last had to queue.
///
/// Drivers use it to tell whether a call has company: a leader that just took every
/// queued follower sees an empty queue, yet more calls are about to arrive. Checked on
/// every call, so a relaxed atomic and the raw monotonic clock, no lock.
package struct RecentQueueing: ~Copyable, Sendable {
    private let last = Atomic<Int64>(Int64.min / 2)
    private let windowNanoseconds: Int64

    /// `window`: how long after the last queued call ``isRecent`` stays true.
    package init(window: Duration) {
        windowNanoseconds = window.wholeNanoseconds
    }

    /// Notes that a call queued now.
    package func mark() {
        last.store(Self.monotonicNanoseconds(), ordering: .relaxed)
    }

    /// Whether a call queued within the window.
    package var isRecent: Bool {
        Self.monotonicNanoseconds() - last.load(ordering: .relaxed) < windowNanoseconds
    }

    private static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
