import Synchronization
import TokenStoreIO
import TokenStoreKit

/// Coalesces concurrent single-statement calls of one store into libpq pipelines.
///
/// Up to `leaders` calls at a time lease a connection themselves; a lone call that finds a
/// leader slot free runs exactly as it would alone (one lock, no hop; under load it yields
/// once first, see `PostgresTokenStore.run`). A call arriving
/// while all slots are taken queues its statement; the next leader takes up to
/// ``LeaderQueue/maxFollowers`` queued statements with it, sends them after its own in one
/// write, and hands each follower its result. When a leader finishes it passes its slot to the oldest
/// queued call. Under load, many calls share a round trip, a send and a receive on both
/// ends, where one connection per call would pay each of them per call.
final class PostgresPipeliner: Sendable {
    /// What a queued call is told.
    enum Turn: Sendable {
        /// Lease a connection and carry the queue.
        case lead
        /// A leader ran the statement: its outcome, a `LibPQFailure` for the statement or
        /// its connection, or a ``TokenStoreError`` from leasing the connection.
        case done(Result<LibPQRows, any Error>)
    }

    struct Follower {
        var id: UInt64
        var statement: PipelinedStatement
        var continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var queue: LeaderQueue<Follower>
        var nextID: UInt64 = 1
        /// Ids whose cancellation ran before they queued.
        var cancelledEarly: Set<UInt64> = []
    }

    private let state: Mutex<State>

    init(leaders: Int) {
        self.state = Mutex(State(queue: LeaderQueue(limit: leaders)))
    }

    /// Takes a leader slot when one is free, without suspending; `false` when the call
    /// must queue with ``turn(for:)``.
    func tryLead() -> Bool {
        state.withLock { $0.queue.tryLead() }
    }

    /// Waits for this call's turn: `.lead` at once when a leader slot is free.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while the statement is
    ///   still queued (it never ran). Once a leader took it, the call waits for its outcome.
    func turn(for statement: PipelinedStatement) async throws -> Turn {
        let id = state.withLock { state -> UInt64 in
            defer { state.nextID += 1 }
            return state.nextID
        }
        defer {
            // A cancellation that came after a leader took the statement left its id behind.
            if Task.isCancelled { _ = state.withLock { $0.cancelledEarly.remove(id) } }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Turn, any Error>) in
                enum Start { case lead, queued, cancelled }
                let start = state.withLock { state -> Start in
                    if state.cancelledEarly.remove(id) != nil { return .cancelled }
                    if state.queue.leadOrQueue(Follower(id: id, statement: statement, continuation: continuation)) {
                        return .lead
                    }
                    recentlyQueued.mark()
                    return .queued
                }
                switch start {
                case .lead: continuation.resume(returning: .lead)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let follower = state.withLock { state -> Follower? in
                guard let follower = state.queue.removeFollower(where: { $0.id == id }) else {
                    state.cancelledEarly.insert(id)
                    return nil
                }
                return follower
            }
            follower?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Whether other calls are under way besides this one. Then a reply wait should park
    /// on the epoll thread rather than poll inline: on a small machine the inline poll
    /// takes a core the server and the other callers need (measured on 2 cores, 16
    /// callers: most of the process's time went to poll and sched_yield, and parking
    /// under company gave 10-20 % more gets/s than parking only when calls queue).
    ///
    /// Also true for 20 ms after a call last had to queue: a leader that just took every
    /// queued follower may be alone for a moment, yet more calls are about to arrive
    /// (a 2 ms window still left ~20 % of leases under 16 callers polling inline). A lone
    /// caller never queues, so it always polls inline.
    var hasCompany: Bool {
        if active.load(ordering: .relaxed) > 1 { return true }
        return recentlyQueued.isRecent
    }

    /// Calls inside ``enter()`` / ``leave()``.
    private let active = Atomic<Int>(0)

    /// Counts a call in for ``hasCompany``; pair with ``leave()``.
    func enter() { active.add(1, ordering: .relaxed) }
    func leave() { active.subtract(1, ordering: .relaxed) }

    /// When a call last queued behind the leaders.
    private let recentlyQueued = RecentQueueing(window: .milliseconds(20))

    /// Statements that rode in another call's pipeline (for tests and metrics).
    var followersCarried: Int { carried.load(ordering: .relaxed) }
    private let carried = Atomic<Int>(0)

    /// The queued statements a leader carries.
    func takeFollowers() -> [Follower] {
        let taken = state.withLock { $0.queue.takeFollowers() }
        if !taken.isEmpty { carried.add(taken.count, ordering: .relaxed) }
        return taken
    }

    /// Queues `followers` again, first in line: their leader was cancelled before it got a
    /// connection, so their statements never went out.
    func requeue(_ followers: [Follower]) {
        state.withLock { $0.queue.requeueFirst(followers) }
        recentlyQueued.mark()
    }

    /// Calls waiting behind the leaders, and leader slots taken (for tests).
    var queuedCount: Int { state.withLock { $0.queue.waiting.count } }
    var leaderCount: Int { state.withLock { $0.queue.leaders } }

    /// Ends a leader's turn: the oldest queued call inherits the slot.
    func finishLeading() {
        state.withLock { $0.queue.finishLeading() }?.continuation.resume(returning: .lead)
    }
}
