import CTokenStoreHiredis
import Dispatch
import Glibc
import Logging
import Synchronization
import TokenStoreIO
import TokenStoreKit

/// One non-blocking connection, opened by hiredis.
///
/// Commands are encoded into a reused buffer and written with `send(MSG_NOSIGNAL)` (hiredis
/// writes with `write`, which raises SIGPIPE on a dead peer). Replies are read with `recv`
/// into a reused buffer and parsed there by ``RESPParser``: decoders take fields straight
/// from it, with no allocation per reply element. Waiting goes through
/// ``SocketWaiter``: a short inline spin, then the shared epoll thread; a cooperative
/// thread never blocks in a socket call and a loopback reply costs no thread hop.
///
/// `@unchecked Sendable` is sound because the mutable state (the `redisContext`, the
/// write buffer) is only touched by the task the ``ConnectionPool`` lends the
/// connection to, one task at a time, with the pool's lock ordering each hand-over;
/// `isBroken` and the closed flag are atomics; and `close()` is called by the pool once,
/// after the last lease ended.
final class HiredisConnection: PooledConnection, @unchecked Sendable {
    let context: UnsafeMutablePointer<redisContext>
    let fd: Int32
    private var writer = RESPWriter()
    /// Replies as read from the socket, parsed in place (hiredis's reader is not used: it
    /// allocates an object per reply element).
    private var input = InputBuffer()
    private let broken = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)
    let store: String
    private let operationTimeout: Duration
    /// The most bytes the replies of one exchange may take (`max_reply_bytes`).
    private let maxReplyBytes: Int
    /// Whether reply waits may wait inline before parking; set by the store per lease.
    var mayWaitInline = true
    /// Whether waits may poll without blocking (``ReplyWait/spin``): an inline wait first,
    /// and a parked one on the I/O thread (``parkedPoll``); otherwise an inline wait blocks
    /// in one bounded poll (``ReplyWait/adaptive``). Set by the store per lease.
    var busyPollsInline = true
    /// How long a reply wait polls inline, learned from this connection's replies.
    private var replySpin = ReplySpin()
    private var spin: Duration { mayWaitInline ? replySpin.budget : .zero }
    /// How long the epoll thread polls for a parked reply wait before it sleeps: only with
    /// company (concurrent calls pipelined on this store), when the next reply is usually
    /// tens of microseconds away, so a short poll catches it without a sleep and a wake-up
    /// (more gets/s under 16 callers; see Benchmarks/README.md). The PostgreSQL driver does
    /// not ask for it: there the polling thread takes CPU from the server's processes and
    /// costs more than it saves.
    private var parkedPoll: Duration { mayWaitInline || !busyPollsInline ? .zero : .microseconds(50) }
    /// Where this connection goes; named in error messages.
    let endpoint: RedisTokenStore.Endpoint

    var isBroken: Bool { broken.load(ordering: .acquiring) }

    init(
        context: UnsafeMutablePointer<redisContext>, endpoint: RedisTokenStore.Endpoint, store: String,
        operationTimeout: Duration, maxReplyBytes: Int
    ) {
        self.context = context
        self.fd = context.pointee.fd
        self.endpoint = endpoint
        self.store = store
        self.operationTimeout = operationTimeout
        self.maxReplyBytes = maxReplyBytes
    }

    deinit {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) { redisFree(context) }
        input.deallocate()
    }

    func close() async {
        closeNow()
    }

    /// Frees the context (closing the socket, which never blocks without SO_LINGER).
    func closeNow() {
        broken.store(true, ordering: .releasing)
        if !closed.exchange(true, ordering: .acquiringAndReleasing) { redisFree(context) }
    }

    private func markBroken() {
        broken.store(true, ordering: .releasing)
    }

    /// Whether an idle connection was closed by the server (restart, `timeout`, `CLIENT
    /// KILL`): an idle connection has nothing to read, so readable means EOF or junk.
    /// One `poll` with zero timeout; the pool asks before lending a connection that sat
    /// idle (``ConnectionPoolConfiguration/staleCheckAfter``).
    func isStale() -> Bool {
        if isBroken { return true }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, 0)
        if ready != 0 {
            markBroken()
            return true
        }
        return false
    }

    // MARK: Commands

    /// Sends the commands `build` writes as one pipeline and returns one reply per command.
    /// Error replies are returned as ``RedisReply/error(_:)``, not thrown.
    ///
    /// - Throws: ``TokenStoreError`` (`unavailable` for I/O failures, `timedOut` past the
    ///   command timeout, `internal` for protocol errors; the connection is then broken),
    ///   or `CancellationError`.
    func pipeline(_ build: (inout RESPWriter) -> Void) async throws -> [RedisReply] {
        try await pipeline(deadline: .now + operationTimeout, build)
    }

    func pipeline(deadline: ContinuousClock.Instant, _ build: (inout RESPWriter) -> Void) async throws -> [RedisReply] {
        try await exchange(deadline: deadline, build) { parser, count in parser.replies(count) }
    }

    /// One command, one reply.
    func command(_ build: (inout RESPWriter) -> Void) async throws -> RedisReply {
        try await exchange(deadline: .now + operationTimeout, build) { parser, _ in parser.reply() }
    }

    /// Sends the commands `build` writes as one pipeline, reads every reply into the
    /// connection's buffer, and lets `consume` read them in place (all complete and
    /// well-formed; `consume` gets the command count). Errors `consume` throws leave the
    /// connection usable.
    ///
    /// With `cancellable` `false` (a pipeline carrying other callers' requests) the waits
    /// ignore the task's cancellation; the deadline still ends them.
    ///
    /// - Throws: as ``pipeline(_:)``, or what `consume` throws.
    func exchange<Result>(
        deadline: ContinuousClock.Instant? = nil, cancellable: Bool = true, _ build: (inout RESPWriter) -> Void,
        consume: (inout RESPParser, Int) throws -> Result
    ) async throws -> Result {
        guard !isBroken else { throw failure(.unavailable, "the connection was closed after an earlier failure") }
        let started = ContinuousClock.now
        let deadline = deadline ?? started + operationTimeout
        writer.reset()
        build(&writer)
        let expected = writer.commandCount
        try await send(deadline: deadline, cancellable: cancellable)
        let end = try await receive(replies: expected, deadline: deadline, cancellable: cancellable)
        replySpin.record(ContinuousClock.now - started)
        // Every byte read belongs to these replies (checked in `receive`): drop them all.
        defer { input.reset() }
        var parser = RESPParser(UnsafeRawBufferPointer(start: input.base, count: end))
        return try consume(&parser, expected)
    }

    private func send(deadline: ContinuousClock.Instant, cancellable: Bool) async throws {
        var offset = 0
        let total = writer.bytes.count
        while offset < total {
            let sent = writer.bytes.withUnsafeBytes { buffer in
                Glibc.send(fd, buffer.baseAddress! + offset, total - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = errno
            if sent < 0 && code == EINTR { continue }
            if sent < 0 && (code == EAGAIN || code == EWOULDBLOCK) {
                try await wait(.writable, deadline: deadline, spin: .zero, cancellable: cancellable)
                continue
            }
            markBroken()
            throw failure(.unavailable, "sending to the server failed: " + Self.describe(errno: code))
        }
    }

    /// Reads until `expected` complete replies are buffered; returns where they end.
    ///
    /// The replies together may take at most ``maxReplyBytes``: each is framed against
    /// what the earlier ones left of it, so a reply announcing more fails at its header
    /// and a stream that never ends fails once that much is buffered.
    private func receive(replies expected: Int, deadline: ContinuousClock.Instant, cancellable: Bool) async throws -> Int {
        var scanned = 0
        var complete = 0
        // The inline wait's yield comes before the first read (see `SocketWaiter.yieldForReply`).
        var yielded = SocketWaiter.yieldForReply(spin: spin, busyPolls: busyPollsInline)
        while true {
            while complete < expected {
                let end: Int?
                do {
                    end = try RESPParser.replyEnd(
                        in: UnsafeRawBufferPointer(start: input.base, count: input.count), from: scanned,
                        limit: maxReplyBytes - scanned)
                } catch {
                    markBroken()
                    switch error.kind {
                    case .malformed:
                        throw failure(.internal, "the server sent bytes that are not the Redis protocol: " + error.reason)
                    case .tooLarge:
                        throw failure(
                            .internal,
                            "a reply exceeds max_reply_bytes (\(maxReplyBytes) bytes for the replies of one round trip): "
                                + error.reason
                                + "; the connection was closed (raise max_reply_bytes in the store URL, or Configuration.maxReplyBytes, if records are that large)")
                    }
                }
                guard let end else { break }
                scanned = end
                complete += 1
            }
            if complete == expected {
                guard scanned == input.count else {
                    markBroken()
                    throw failure(.internal, "the server sent more replies than commands")
                }
                return scanned
            }
            // Read before waiting: the reply is often there already (on a CPU shared with
            // the server, it was written during the yield or while this thread was
            // preempted in its send), and the read that takes it replaces the wait's first look.
            if try readAvailable() { continue }
            do {
                try await SocketWaiter.shared.wait(
                    for: .readable, on: fd, deadline: deadline, spin: spin, busyPolls: busyPollsInline, cancellable: cancellable,
                    parkedPoll: parkedPoll, checked: true, yielded: yielded)
                yielded = false
            } catch .failed {
                // A hang-up may still leave bytes to read (half a reply, then EOF): read
                // them so the error says what happened.
                if try readAvailable() { continue }
                markBroken()
                throw failure(.unavailable, "the server closed the connection before replying")
            } catch .timedOut {
                markBroken()
                throw failure(.timedOut, "no reply within the operation timeout of \(operationTimeout) (the connection was closed; raise operation_timeout if the server is slow)")
            } catch .cancelled {
                markBroken()
                throw CancellationError()
            }
            _ = try readAvailable()
        }
    }

    /// Reads what the socket has into the input buffer; `false` when nothing was there.
    private func readAvailable() throws -> Bool {
        while true {
            if input.count == input.capacity { input.grow() }
            let received = recv(fd, input.base + input.count, input.capacity - input.count, 0)
            if received > 0 {
                input.count += received
                return true
            }
            let code = errno
            if received == 0 {
                markBroken()
                throw failure(.unavailable, "the server closed the connection (restarting, or it dropped this client)")
            }
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return false }
            markBroken()
            throw failure(.unavailable, "reading from the server failed: " + Self.describe(errno: code))
        }
    }

    private func wait(_ interest: SocketInterest, deadline: ContinuousClock.Instant, spin: Duration, cancellable: Bool) async throws {
        do {
            try await SocketWaiter.shared.wait(for: interest, on: fd, deadline: deadline, spin: spin, cancellable: cancellable)
        } catch .timedOut {
            markBroken()
            throw failure(.timedOut, "the server did not accept data within the timeout")
        } catch .cancelled {
            markBroken()
            throw CancellationError()
        } catch .failed(let code) {
            markBroken()
            throw failure(.unavailable, "the connection failed: " + (code == 0 ? "hang-up" : Self.describe(errno: code)))
        }
    }

    func errorText() -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    func failure(_ code: TokenStoreError.Code, _ message: String) -> TokenStoreError {
        TokenStoreError(code, store: store, operation: "command", message: message + " (\(endpoint))")
    }

    static func describe(errno code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
