import CTokenStoreLibPQ
import Dispatch
import Synchronization
import TokenStoreIO
import TokenStoreKit

/// A connection's cancel key (`PQgetCancel`): what a cancel request needs, apart from the
/// connection itself.
///
/// `@unchecked Sendable`: libpq documents the `PGcancel` object as safe to use from another
/// thread than its connection's, and it is only read after creation. It is a class so that
/// a request still running on a dispatch thread keeps it alive after the connection closed.
final class LibPQCanceller: @unchecked Sendable {
    private let cancel: OpaquePointer

    /// The cancel key of the open connection `handle`, or `nil` when libpq has none.
    init?(handle: OpaquePointer) {
        guard let cancel = PQgetCancel(handle) else { return nil }
        self.cancel = cancel
    }

    deinit { PQfreeCancel(cancel) }

    /// Asks the server to cancel what the connection is running (`PQcancel`).
    ///
    /// Blocking: it opens a connection of its own to the server and returns once the server
    /// has taken the request. Call it only on a dispatch thread, never a cooperative one.
    /// - Returns: whether the request was delivered (not whether a statement was running).
    func sendBlocking() -> Bool {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { errorBuffer in
            PQcancel(cancel, errorBuffer.baseAddress, Int32(errorBuffer.count)) == 1
        }
    }
}

/// The outcome of one cancel request sent on a dispatch thread, awaited with a deadline.
private final class CancelRequest: Sendable {
    private enum State {
        case pending(CheckedContinuation<Bool, Never>?)
        case finished(Bool)
    }

    private let state = Mutex(State.pending(nil))

    /// Sends `canceller`'s request on a dispatch thread (it blocks) and gives up on waiting
    /// for it at `deadline`: the request itself still runs to its end.
    init(_ canceller: LibPQCanceller, deadline: ContinuousClock.Instant) {
        DispatchQueue.global().async { [self] in finish(canceller.sendBlocking()) }
        let wait = ContinuousClock.now.duration(to: deadline)
        let nanoseconds = max(0, wait.components.seconds) * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: nanoseconds))) { [self] in
            finish(false)
        }
    }

    /// Whether the request was delivered by the deadline.
    func delivered() async -> Bool {
        await withCheckedContinuation { continuation in
            let outcome: Bool? = state.withLock { state in
                switch state {
                case .finished(let delivered): return delivered
                case .pending:
                    state = .pending(continuation)
                    return nil
                }
            }
            if let outcome { continuation.resume(returning: outcome) }
        }
    }

    /// The first call settles the request (and wakes the waiter); later ones do nothing.
    private func finish(_ delivered: Bool) {
        let waiter: CheckedContinuation<Bool, Never>?? = state.withLock { state in
            guard case .pending(let waiter) = state else { return nil }
            state = .finished(delivered)
            return .some(waiter)
        }
        if case .some(.some(let waiter)) = waiter { waiter.resume(returning: delivered) }
    }
}

extension LibPQConnection {
    /// How long a cancelled or timed-out call may spend getting its connection back in
    /// step: delivering the cancel request, then reading what the statement still sends.
    /// A local server needs milliseconds; past this the connection is closed instead (the
    /// request still reaches the server, so the statement stops either way).
    static let cancelBudget = Duration.seconds(3)

    /// Called when a wait for the server ended early (the caller's task was cancelled, or
    /// its deadline passed) with a statement in flight: asks the server to cancel it, so
    /// it does not run on until `statement_timeout`, and reads the statement's remaining
    /// results (it ends with SQLSTATE 57014), so the connection can go back to the pool.
    ///
    /// The connection stays marked broken (and is closed by the pool) unless it ends up
    /// idle and in step: no transaction open, no pipeline or copy under way, and the
    /// request delivered before the results were read. That last point matters: a request
    /// still on its way could otherwise cancel the next caller's statement.
    func abandonStatement() async {
        guard let handle, PQstatus(handle) == CONNECTION_OK, let canceller else { return }
        let deadline = ContinuousClock.now + Self.cancelBudget
        let request = CancelRequest(canceller, deadline: deadline)
        // A pipeline carries other callers' statements and a copy needs its own ending:
        // both are closed rather than brought back in step; the request spares the server
        // the work.
        guard PQpipelineStatus(handle) == PQ_PIPELINE_OFF, await request.delivered() else { return }
        guard await drainResults(deadline: deadline), PQtransactionStatus(handle) == PQTRANS_IDLE else { return }
        brokenFlag = false
    }

    /// Sends what libpq still holds and reads every remaining result, within `deadline`,
    /// ignoring the task's cancellation; `false` when that could not be done.
    private func drainResults(deadline: ContinuousClock.Instant) async -> Bool {
        guard let handle else { return false }
        let fd = PQsocket(handle)
        guard fd >= 0 else { return false }
        do throws(SocketWaitError) {
            while true {
                let flushed = PQflush(handle)
                if flushed == 0 { break }
                if flushed < 0 { return false }
                try await SocketWaiter.shared.wait(for: .writable, on: fd, deadline: deadline, spin: .zero, cancellable: false)
                if PQconsumeInput(handle) == 0 { return false }
            }
            while true {
                while PQisBusy(handle) != 0 {
                    try await SocketWaiter.shared.wait(for: .readable, on: fd, deadline: deadline, spin: .zero, cancellable: false)
                    if PQconsumeInput(handle) == 0 { return false }
                }
                guard let result = PQgetResult(handle) else { break }
                let status = PQresultStatus(result)
                PQclear(result)
                if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH { return false }
            }
        } catch {
            return false
        }
        return PQstatus(handle) == CONNECTION_OK
    }
}
