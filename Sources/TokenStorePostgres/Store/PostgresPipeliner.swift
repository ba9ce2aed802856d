import Synchronization

/// Coalesces concurrent single-statement calls of one store into libpq pipelines.
///
/// Up to `leaders` calls at a time lease a connection themselves; a call that finds a
/// leader slot free runs exactly as it would alone (one lock, no hop). A call arriving
/// while all slots are taken queues its statement; the next leader takes up to
/// ``maxFollowers`` queued statements with it, sends them after its own in one write, and
/// hands each follower its result. When a leader finishes it passes its slot to the oldest
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
        var waiting: [Follower] = []
        var leaders = 0
        var nextID: UInt64 = 1
        /// Ids whose cancellation ran before they queued.
        var cancelledEarly: Set<UInt64> = []
    }

    private let state = Mutex(State())
    private let leaders: Int
    /// The most followers one leader carries, bounding a pipeline's size and latency.
    static let maxFollowers = 64

    init(leaders: Int) {
        self.leaders = max(1, leaders)
    }

    /// Takes a leader slot when one is free, without suspending; `false` when the call
    /// must queue with ``turn(for:)``.
    func tryLead() -> Bool {
        state.withLock { state in
            guard state.leaders < leaders else { return false }
            state.leaders += 1
            return true
        }
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
                    if state.leaders < leaders {
                        state.leaders += 1
                        return .lead
                    }
                    state.waiting.append(Follower(id: id, statement: statement, continuation: continuation))
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
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else {
                    state.cancelledEarly.insert(id)
                    return nil
                }
                return state.waiting.remove(at: index)
            }
            follower?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Statements that rode in another call's pipeline (for tests and metrics).
    var followersCarried: Int { carried.load(ordering: .relaxed) }
    private let carried = Atomic<Int>(0)

    /// The queued statements a leader carries.
    func takeFollowers() -> [Follower] {
        state.withLock { state in
            let count = min(state.waiting.count, Self.maxFollowers)
            guard count > 0 else { return [] }
            carried.add(count, ordering: .relaxed)
            let taken = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return taken
        }
    }

    /// Ends a leader's turn: the oldest queued call inherits the slot.
    func finishLeading() {
        let next = state.withLock { state -> Follower? in
            if state.waiting.isEmpty {
                state.leaders -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
    }
}
