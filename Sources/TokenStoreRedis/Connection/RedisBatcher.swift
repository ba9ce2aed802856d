import Glibc
import Synchronization

/// Coalesces concurrent single-round-trip calls of one store into pipelines.
///
/// Up to `leaders` calls at a time lease a connection themselves. A call arriving while
/// all leader slots are taken queues its encoded request; the next leader to start takes
/// every queued request with it, writes them after its own in one `send`, reads all the
/// replies and hands each follower its slice. When a leader finishes it passes its slot
/// to the oldest queued call. One caller alone pays one lock and no hop; under load, many
/// calls share a syscall pair and a round trip. Each request's commands stay contiguous,
/// so `MULTI`/`EXEC` blocks and scripts keep their atomicity.
final class RedisBatcher: Sendable {
    enum Turn: Sendable {
        /// Lease a connection and carry the queue.
        case lead
        /// A leader carried the request; here are its replies or the failure.
        case done(Result<[RedisReply], any Error>)
    }

    struct Waiter {
        var bytes: [UInt8]
        var commands: Int
        var continuation: CheckedContinuation<Turn, Never>
    }

    private struct State {
        var waiting: [Waiter] = []
        var leaders = 0
    }

    private let state = Mutex(State())
    private let leaders: Int
    /// The most followers one leader carries, bounding a pipeline's size and latency.
    static let maxFollowers = 64

    init(leaders: Int) {
        self.leaders = max(1, leaders)
    }

    /// Takes a leader slot when one is free, without suspending; `false` when the call
    /// must queue (then ``turn(bytes:commands:)``). Lets a lone caller skip encoding its
    /// request twice and the continuation of a turn.
    func tryLead() -> Bool {
        state.withLock { state in
            guard state.leaders < leaders else { return false }
            state.leaders += 1
            return true
        }
    }

    /// Waits for this call's turn: `.lead` at once when a leader slot is free.
    func turn(bytes: [UInt8], commands: Int) async -> Turn {
        await withCheckedContinuation { continuation in
            let lead = state.withLock { state -> Bool in
                if state.leaders < leaders {
                    state.leaders += 1
                    return true
                }
                state.waiting.append(Waiter(bytes: bytes, commands: commands, continuation: continuation))
                lastQueued.store(Self.monotonicNanoseconds(), ordering: .relaxed)
                return false
            }
            if lead { continuation.resume(returning: .lead) }
        }
    }

    /// Whether other calls are under way besides one leader's: then a reply wait should
    /// park rather than hold a cooperative thread, which the others need to queue, be
    /// resumed and encode (measured on 2 cores, 16 callers: ~26K -> 56-77K gets/s).
    ///
    /// Also true for a while after a call last had to queue: a leader that just took every
    /// queued follower sees an empty queue, yet more calls are about to arrive.
    var hasCompany: Bool {
        if Self.monotonicNanoseconds() - lastQueued.load(ordering: .relaxed) < Self.companyWindowNanoseconds { return true }
        return state.withLock { $0.leaders > 1 || !$0.waiting.isEmpty }
    }

    /// When a call last queued behind the leaders (``monotonicNanoseconds()``).
    private let lastQueued = Atomic<Int64>(Int64.min / 2)
    private static let companyWindowNanoseconds: Int64 = 2_000_000

    private static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// The queued requests a new leader carries.
    func takeFollowers() -> [Waiter] {
        state.withLock { state in
            let count = min(state.waiting.count, Self.maxFollowers)
            guard count > 0 else { return [] }
            let taken = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return taken
        }
    }

    /// Ends a leader's turn: the oldest queued call inherits the slot.
    func finishLeading() {
        let next = state.withLock { state -> Waiter? in
            if state.waiting.isEmpty {
                state.leaders -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
    }
}
