import Synchronization
import TokenStoreKit

/// Coalesces concurrent single-round-trip calls of one store into pipelines.
///
/// Up to `leaders` calls at a time lease a connection themselves. A call arriving while
/// all leader slots are taken queues its encoded request; the next leader to start takes
/// every queued request with it, writes them after its own in one `send`, reads all the
/// replies and has each follower's decoder read its replies in place from the
/// connection's buffer, then resumes the follower with the result. When a leader
/// finishes it passes its slot to the oldest queued call. One caller alone pays one lock
/// and no hop; under load, many calls share a syscall pair and a round trip. Each
/// request's commands stay contiguous, so `MULTI`/`EXEC` blocks and scripts keep their
/// atomicity.
final class RedisBatcher: Sendable {
    private let state: Mutex<LeaderQueue<any PipelinedCall>>

    init(leaders: Int) {
        self.state = Mutex(LeaderQueue(limit: leaders))
    }

    /// Takes a leader slot when one is free, without suspending; `false` when the call
    /// must queue (then ``turn(_:)``). Lets a lone caller skip encoding its request twice
    /// and the continuation of a turn.
    func tryLead() -> Bool {
        state.withLock { $0.tryLead() }
    }

    /// Waits for this call's turn: `.lead` at once when a leader slot is free, else
    /// `.done` once a leader carried it (its outcome is then in `call`), or `.lead` when a
    /// finishing leader hands it the slot.
    func turn<Value: Sendable>(_ call: QueuedCall<Value>) async -> QueuedTurn {
        await withUnsafeContinuation { continuation in
            call.continuation = continuation
            let lead = state.withLock { state -> Bool in
                if state.leadOrQueue(call) { return true }
                recentlyQueued.mark()
                return false
            }
            if lead { call.resume(.lead) }
        }
    }

    /// Whether other calls are under way besides one leader's: then a reply wait should
    /// park rather than hold a cooperative thread, which the others need to queue, be
    /// resumed and encode (measured on 2 cores, 16 callers: ~26K -> 56-77K gets/s).
    ///
    /// Also true for a while after a call last had to queue: a leader that just took every
    /// queued follower sees an empty queue, yet more calls are about to arrive.
    var hasCompany: Bool {
        if recentlyQueued.isRecent { return true }
        return state.withLock { $0.leaders > 1 || !$0.waiting.isEmpty }
    }

    /// When a call last queued behind the leaders.
    private let recentlyQueued = RecentQueueing(window: .milliseconds(2))

    /// The queued requests a new leader carries.
    func takeFollowers() -> [any PipelinedCall] {
        state.withLock { $0.takeFollowers() }
    }

    /// Ends a leader's turn: the oldest queued call inherits the slot.
    func finishLeading() {
        state.withLock { $0.finishLeading() }?.lead()
    }
}

/// A call queued behind the leaders, as a leader sees it.
protocol PipelinedCall: AnyObject, Sendable {
    /// The call's encoded commands.
    var request: [UInt8] { get }
    var commands: Int { get }
    /// Decodes this call's replies from the leader's connection buffer and resumes it.
    func deliver(_ parser: inout RESPParser)
    /// Resumes the call with the pipeline's failure.
    func fail(_ error: any Error)
    /// Resumes the call as a leader.
    func lead()
}

/// What a queued call is told when it resumes.
///
/// Not nested in ``QueuedCall``: a leader resumes its followers through `any PipelinedCall`,
/// where the code is not specialized, and a type nested in a generic class has its
/// metadata looked up at run time on every use.
enum QueuedTurn: Sendable {
    /// Lease a connection and carry the queue.
    case lead
    /// A leader carried the request; ``QueuedCall/outcome`` holds the result.
    case done
}

/// One queued call: its request, its decoder, and where its leader puts the outcome.
///
/// `@unchecked Sendable`: `continuation` is set before the call is queued (the batcher's
/// lock orders that before any leader sees it) and `outcome` is written by the one task
/// that resumes the call, before resuming it; the call reads it after it resumed.
final class QueuedCall<Value: Sendable>: PipelinedCall, @unchecked Sendable {
    let request: [UInt8]
    let commands: Int
    private let decode: ReplyDecoder<Value>
    fileprivate var continuation: UnsafeContinuation<QueuedTurn, Never>?
    private(set) var outcome: Result<Value, any Error>?

    init(request: [UInt8], commands: Int, decode: @escaping ReplyDecoder<Value>) {
        self.request = request
        self.commands = commands
        self.decode = decode
    }

    func deliver(_ parser: inout RESPParser) {
        outcome = .success(parser.decode(commands, with: decode))
        resume(.done)
    }

    func fail(_ error: any Error) {
        outcome = .failure(error)
        resume(.done)
    }

    func lead() {
        resume(.lead)
    }

    /// Resumes the call at most once.
    fileprivate func resume(_ turn: QueuedTurn) {
        let continuation = self.continuation
        self.continuation = nil
        continuation?.resume(returning: turn)
    }
}
