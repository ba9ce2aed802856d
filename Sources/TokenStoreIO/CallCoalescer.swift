import Synchronization

/// Lets concurrent calls of one store share a connection's round trip: a few calls lead,
/// the others queue behind them and ride in a leader's pipeline.
///
/// The rules, the same for every driver:
/// 1. Up to `leaders` calls lead at once. A call that finds a slot free leads at once,
///    without suspending (``tryLead()``); otherwise it queues, in arrival order, and
///    suspends (``follow(_:)``).
/// 2. A leader takes up to ``LeaderQueue/maxFollowers`` queued calls
///    (``gatherFollowers()``), runs its own job and theirs in its own task on one
///    connection, and resumes each with its own outcome (``deliver(_:to:)``). A failure of
///    the shared I/O goes to every carried call not yet resumed (``abandon(_:after:sent:)``).
/// 3. A call cancelled while it is still queued leaves the queue and gets
///    `CancellationError`: its job never ran. Once a leader took it, it waits for its
///    outcome, since its job may already be on the wire.
/// 4. A leader cancelled before anything was sent (waiting for a connection) puts its
///    followers back at the head of the queue instead of failing them; once its I/O
///    started, the driver runs that I/O ignoring cancellation (its deadline still holds).
/// 5. A leader's turn ends with ``finishLeading()``: the oldest queued call inherits the
///    slot and leads, or the slot is freed.
///
/// The queue holds its calls as ``CoalescedTicket``s, a non-generic type: the drivers call
/// this class from other modules, where its methods run unspecialized, and a queue of a
/// generic element type had every `tryLead()` and `finishLeading()` look its metadata up
/// at run time (3-5% of a single caller's CPU; see Benchmarks/README.md, "The single
/// caller's Swift path, profiled").
///
/// What differs between drivers is passed in (``Policy``): how many leaders, how long a
/// queued call keeps ``hasCompany`` true, and whether a leader yields once for followers.
///
/// Followers suspend on a continuation that exactly one party resumes: whoever removes
/// the call from the queue under the lock (a leader, a finishing leader handing over its
/// slot, or the call's cancellation handler). No task is spawned: all I/O runs in the
/// leaders' own tasks.
package final class CallCoalescer<Job: Sendable, Outcome: Sendable>: Sendable {
    /// What a driver chooses.
    package struct Policy: Sendable {
        /// Calls leading at once (each holds a connection); at least one.
        package var leaders: Int
        /// How long after a call last had to queue ``hasCompany`` stays true.
        package var companyWindow: Duration
        /// Whether a leader that has company but finds the queue empty yields once before
        /// taking followers (``gatherFollowers()``).
        package var yieldsForFollowers: Bool

        package init(leaders: Int, companyWindow: Duration, yieldsForFollowers: Bool = false) {
            self.leaders = leaders
            self.companyWindow = companyWindow
            self.yieldsForFollowers = yieldsForFollowers
        }
    }

    package typealias Follower = CoalescedCall<Job, Outcome>

    private let queue: Mutex<LeaderQueue<CoalescedTicket>>
    /// Calls inside the coalescer: leaders, and followers not yet resumed with an outcome.
    private let calls = Atomic<Int>(0)
    private let carried = Atomic<Int>(0)
    private let recentlyQueued: RecentQueueing
    private let yieldsForFollowers: Bool
    /// No followers, made once: an empty array built in these unspecialized methods would
    /// look the metadata of `Follower` up at run time on every lone call.
    private let noFollowers: [Follower] = []

    package init(_ policy: Policy) {
        queue = Mutex(LeaderQueue(limit: policy.leaders))
        recentlyQueued = RecentQueueing(window: policy.companyWindow)
        yieldsForFollowers = policy.yieldsForFollowers
    }

    // MARK: Leading

    /// Takes a leader slot when one is free, without suspending; `false` when the call
    /// must queue with ``follow(_:)``. A `true` must be paired with ``finishLeading()``.
    package func tryLead() -> Bool {
        guard queue.withLock({ $0.tryLead() }) else { return false }
        calls.add(1, ordering: .relaxed)
        return true
    }

    /// The queued calls a leader carries (at most ``LeaderQueue/maxFollowers``).
    package func takeFollowers() -> [Follower] {
        followers(queue.withLock { $0.takeFollowers() })
    }

    /// The calls `taken` from the queue, typed, counted as carried.
    private func followers(_ taken: [CoalescedTicket]) -> [Follower] {
        if taken.isEmpty { return noFollowers }
        carried.add(taken.count, ordering: .relaxed)
        // Every ticket in the queue is a `Follower`: ``follow(_:)`` queues nothing else.
        return taken.map { unsafeDowncast($0, to: Follower.self) }
    }

    /// ``takeFollowers()``, except that under ``Policy/yieldsForFollowers`` a leader that
    /// has company and finds the queue empty yields once first: under load that usually
    /// means its previous pipeline just finished, and the calls it resumed are about to
    /// call again. Letting them queue first has them ride along instead of waiting a
    /// whole round trip for the next leader.
    package func gatherFollowers() async -> [Follower] {
        let taken = queue.withLock { $0.takeFollowers() }
        guard taken.isEmpty, yieldsForFollowers, hasCompany else { return followers(taken) }
        await Task.yield()
        return takeFollowers()
    }

    /// Resumes a carried call with its outcome. A call is resumed once; later deliveries
    /// to it are ignored. Called by the leader that carries it, from its own task.
    package func deliver(_ outcome: Result<Outcome, any Error>, to follower: Follower) {
        guard follower.isWaiting else { return }
        follower.outcome = outcome
        follower.resume(.done)
    }

    /// Settles the calls a leader carried when its I/O failed with `error`.
    ///
    /// When nothing was `sent` and the leader's task is cancelled, the failure may be that
    /// cancellation rather than the followers' fate: they queue again, first in line, and
    /// the slot passes to the oldest of them at ``finishLeading()``. Otherwise every call
    /// not yet resumed gets `error`.
    package func abandon(_ followers: [Follower], after error: any Error, sent: Bool) {
        if !sent, Task.isCancelled {
            // A call cancelled while this leader held it lost its cancellation (it was in
            // no queue for the handler to find): it ends here instead of queueing again.
            let cancelled = queue.withLock { queue -> [Follower] in
                let waiting = followers.filter(\.isWaiting)
                queue.requeueFirst(waiting.filter { !$0.isCancelled }.map { $0 as CoalescedTicket })
                return waiting.filter(\.isCancelled)
            }
            recentlyQueued.mark()
            for follower in cancelled { follower.resume(.cancelled) }
            return
        }
        for follower in followers { deliver(.failure(error), to: follower) }
    }

    /// Ends a leader's turn: the oldest queued call inherits the slot, or it is freed.
    package func finishLeading() {
        calls.subtract(1, ordering: .relaxed)
        queue.withLock { $0.finishLeading() }?.resume(.lead)
    }

    // MARK: Following

    /// What a queued call is told.
    package enum Turn: Sendable {
        /// Lead now (a slot was free, or a finishing leader handed over its own); pair
        /// with ``finishLeading()``.
        case lead
        /// A leader ran the job: its outcome.
        case done(Result<Outcome, any Error>)
    }

    /// Queues `job` behind the leaders (or leads at once when a slot is free) and waits
    /// for its turn.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while the job is still
    ///   queued (it never ran).
    package func follow(_ job: Job) async throws(CancellationError) -> Turn {
        calls.add(1, ordering: .relaxed)
        let call = Follower(job)
        let resumed = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<CoalescedTurn, Never>) in
                let start = queue.withLock { queue -> CoalescedTurn? in
                    // Cancelled before it queued: the handler found nothing to remove.
                    if call.isCancelled { return .cancelled }
                    call.continuation = continuation
                    if queue.leadOrQueue(call) {
                        call.continuation = nil
                        return .lead
                    }
                    recentlyQueued.mark()
                    return nil
                }
                if let start { continuation.resume(returning: start) }
            }
        } onCancel: {
            let removed = queue.withLock { queue -> CoalescedTicket? in
                if let removed = queue.removeFollower(where: { $0 === call }) { return removed }
                // Not queued yet (taken by a leader or leading already: then ignored).
                call.isCancelled = true
                return nil
            }
            removed?.resume(.cancelled)
        }
        switch resumed {
        case .lead:
            return .lead
        case .done:
            calls.subtract(1, ordering: .relaxed)
            // Written by the leader before it resumed this call.
            return .done(call.outcome ?? .failure(CancellationError()))
        case .cancelled:
            calls.subtract(1, ordering: .relaxed)
            throw CancellationError()
        }
    }

    // MARK: Observing

    /// Whether other calls are under way besides this one, or one had to queue within
    /// ``Policy/companyWindow``: a leader that just took every queued call sees an empty
    /// queue, yet more calls are about to arrive. Drivers use it to decide whether a reply
    /// wait may hold a cooperative thread polling inline, or should park and leave the
    /// thread (and, on a small machine, the core) to the other callers.
    package var hasCompany: Bool {
        if calls.load(ordering: .relaxed) > 1 { return true }
        return recentlyQueued.isRecent
    }

    /// Calls that rode in another call's pipeline so far (for tests and metrics).
    package var followersCarried: Int { carried.load(ordering: .relaxed) }
    /// Calls queued behind the leaders right now (for tests).
    package var queuedCount: Int { queue.withLock { $0.waiting.count } }
    /// Leader slots taken right now (for tests).
    package var leaderCount: Int { queue.withLock { $0.leaders } }
}

/// How a queued call was resumed.
///
/// Not nested in the generic ``CallCoalescer``: unspecialized code looks a nested type's
/// metadata up at run time on every use.
package enum CoalescedTurn: Sendable {
    case lead
    case done
    case cancelled
}

/// What a ``CallCoalescer``'s queue holds of a call: how to resume it. Not generic, so
/// the queue is of one concrete type (see ``CallCoalescer``).
///
/// `@unchecked Sendable`: `continuation` and `isCancelled` are only touched under the
/// coalescer's lock until the call leaves the queue; from then on exactly one party owns
/// the call (the leader that took it, the finishing leader that hands it the slot, or the
/// cancellation handler that removed it).
package class CoalescedTicket: @unchecked Sendable {
    fileprivate var continuation: UnsafeContinuation<CoalescedTurn, Never>?
    fileprivate var isCancelled = false

    fileprivate init() {}

    /// Whether the call still waits to be resumed.
    fileprivate var isWaiting: Bool { continuation != nil }

    /// Resumes the call at most once.
    fileprivate func resume(_ turn: CoalescedTurn) {
        let continuation = self.continuation
        self.continuation = nil
        continuation?.resume(returning: turn)
    }
}

/// One call queued in a ``CallCoalescer``: its job, and where its leader puts the outcome.
///
/// `@unchecked Sendable`: the party that owns the call once it left the queue (see
/// ``CoalescedTicket``) writes `outcome` before it resumes the continuation, after which
/// only the call's own task reads it.
package final class CoalescedCall<Job: Sendable, Outcome: Sendable>: CoalescedTicket, @unchecked Sendable {
    /// What the call asks a leader to run.
    package let job: Job
    fileprivate var outcome: Result<Outcome, any Error>?

    fileprivate init(_ job: Job) {
        self.job = job
    }
}
