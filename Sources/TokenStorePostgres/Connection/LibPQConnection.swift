import CTokenStoreLibPQ
import Foundation
import TokenStoreIO
import TokenStoreKit

#if canImport(Glibc)
    import Glibc
#endif

/// One PostgreSQL connection driven through libpq's non-blocking API.
///
/// Every wait for the socket goes through `SocketWaiter`: a short inline spin (a loopback
/// reply usually arrives within it, so no thread hop), then a park on the shared epoll
/// thread. No libpq call here blocks: the socket is non-blocking and results are read only
/// once `PQisBusy` says they are complete.
///
/// `@unchecked Sendable`: the `PGconn` is used by one task at a time. The pool lends a
/// connection to a single caller and takes it back only when that caller is done, so
/// no two threads ever touch the handle concurrently; `close()` runs only after the last
/// lease (pool contract) or from `deinit`.
final class LibPQConnection: PooledConnection, @unchecked Sendable {
    private(set) var handle: OpaquePointer?
    private var prepared: Set<String> = []
    /// How long reply waits poll inline, learned from this connection's replies.
    private var replySpin = ReplySpin()
    /// Whether reply waits may wait inline first (``replySpin``) or park at once; set by
    /// the store for each lease from how busy it is and its ``ReplyWait``.
    var mayWaitInline = true
    /// Whether an inline wait polls without blocking first (``ReplyWait/spin``) or blocks
    /// in one bounded poll (``ReplyWait/adaptive``).
    var busyPollsInline = true
    /// Whether waits end when the task is cancelled; `false` while a pipeline carries
    /// other callers' statements (only the deadline ends those waits).
    var waitsCancellable = true
    var brokenFlag = false
    /// The cancel key, taken once the connection is open; what a cancelled or timed-out
    /// call uses to stop its statement on the server (``abandonStatement()``).
    var canceller: LibPQCanceller?
    /// Whether this session created the bulk writes' temporary staging tables.
    var hasStagingTables = false
    /// Parameter values as C strings, back to back, and the pointers to them: reused by
    /// every statement so sending one allocates nothing once they have grown.
    private var parameterBytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var parameterPointers = UnsafeMutableBufferPointer<UnsafePointer<CChar>?>(start: nil, count: 0)

    var isBroken: Bool { brokenFlag || handle == nil }

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        if let handle { PQfinish(handle) }
        parameterBytes.deallocate()
        parameterPointers.deallocate()
    }

    /// Calls `body` with a C array of `values` (NULL for `nil`), built in the reused
    /// buffers. libpq copies the values into its output buffer before `body` returns, and
    /// the bytes are wiped afterwards (they may hold token secrets).
    func withParameters<R>(_ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        var total = 0
        for value in values { total += (value?.utf8.count ?? 0) + 1 }
        if total > parameterBytes.count {
            parameterBytes.deallocate()
            parameterBytes = .allocate(byteCount: max(total, 2 * parameterBytes.count, 512), alignment: 1)
        }
        if values.count > parameterPointers.count {
            parameterPointers.deallocate()
            parameterPointers = .allocate(capacity: max(values.count, 16))
        }
        guard let bytes = parameterBytes.baseAddress, let pointers = parameterPointers.baseAddress else {
            return body(nil)
        }
        var position = 0
        for (index, value) in values.enumerated() {
            guard var value else {
                pointers[index] = nil
                continue
            }
            let start = bytes + position
            let count = value.withUTF8 { source -> Int in
                if let base = source.baseAddress, source.count > 0 {
                    start.copyMemory(from: base, byteCount: source.count)
                }
                return source.count
            }
            start.storeBytes(of: 0, toByteOffset: count, as: UInt8.self)
            pointers[index] = UnsafePointer(start.assumingMemoryBound(to: CChar.self))
            position += count + 1
        }
        defer { memset(bytes, 0, position) }
        return body(UnsafePointer(pointers))
    }

    /// Opens a connection with libpq keyword/value parameters, within `deadline`.
    static func connect(parameters: [(String, String)], deadline: ContinuousClock.Instant) async throws(LibPQFailure)
        -> LibPQConnection
    {
        // PQconnectStartParams resolves the host name (getaddrinfo), which can block for as
        // long as DNS takes, so it runs on a dispatch thread, never a cooperative one: one
        // hop per new connection, which the pool makes rare. The rest of the handshake is
        // non-blocking, driven through SocketWaiter.
        let started: StartedHandle = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let handle = withCStringArrays(parameters) { keywords, values in
                    // expand_dbname = 1: a URL or keyword string given as `dbname` is expanded by libpq.
                    PQconnectStartParams(keywords, values, 1)
                }
                continuation.resume(returning: StartedHandle(handle: handle))
            }
        }
        guard let handle = started.handle else {
            throw LibPQFailure(kind: .connection, message: "out of memory starting a connection")
        }
        let connection = LibPQConnection(handle: handle)
        guard PQstatus(handle) != CONNECTION_BAD else {
            throw LibPQFailure(kind: .connection, message: connection.errorMessage)
        }
        // Verbose messages carry the server's SQLSTATE ("FATAL:  28P01: ..."), the only
        // language-independent way to tell a rejected login from an unreachable server
        // (libpq has no error fields for a failed connection). Back to default once open.
        PQsetErrorVerbosity(handle, PQERRORS_VERBOSE)
        // Start as if the last poll asked to write (libpq's documented first step).
        var status = PGRES_POLLING_WRITING
        while true {
            switch status {
            case PGRES_POLLING_OK:
                guard PQsetnonblocking(handle, 1) == 0 else {
                    throw LibPQFailure(kind: .connection, message: connection.errorMessage)
                }
                // libpq prints server notices ("relation ... already exists, skipping")
                // to the process's stderr by default: a library must not write into its
                // host's output. Errors still arrive as results.
                _ = PQsetNoticeProcessor(handle, { _, _ in }, nil)
                PQsetErrorVerbosity(handle, PQERRORS_DEFAULT)
                connection.canceller = LibPQCanceller(handle: handle)
                return connection
            case PGRES_POLLING_FAILED:
                throw LibPQConnectFailure.failure(verboseMessage: connection.errorMessage)
            case PGRES_POLLING_READING:
                try await connection.waitForSocket(.readable, deadline: deadline)
            default:
                try await connection.waitForSocket(.writable, deadline: deadline)
            }
            status = PQconnectPoll(handle)
        }
    }

    /// Runs a prepared statement (preparing it on this connection the first time).
    func execute(
        _ statement: PostgresStatements.Statement, parameters: [String?], deadline: ContinuousClock.Instant
    ) async throws(LibPQFailure) -> LibPQRows {
        try await prepare(statement, parameterCount: parameters.count, deadline: deadline)
        let started = ContinuousClock.now
        try await finishSending(sendPrepared(statement, parameters), deadline: deadline)
        let rows = try await collectResult(deadline: deadline, shape: statement.shape)
        replySpin.record(ContinuousClock.now - started)
        return rows
    }

    /// Queues a prepared statement's execution in libpq's output buffer (`PQsendQueryPrepared`).
    func sendPrepared(_ statement: PostgresStatements.Statement, _ parameters: [String?]) -> Int32 {
        guard let handle else { return 0 }
        return statement.cName.withUnsafeBufferPointer { name in
            withParameters(parameters) { values in
                PQsendQueryPrepared(handle, name.baseAddress, Int32(parameters.count), values, nil, nil, 0)
            }
        }
    }

    /// Prepares `statement` on this connection unless it already was.
    func prepare(
        _ statement: PostgresStatements.Statement, parameterCount: Int, deadline: ContinuousClock.Instant
    ) async throws(LibPQFailure) {
        guard !prepared.contains(statement.name) else { return }
        guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
        let sent = PQsendPrepare(handle, statement.name, statement.sql, Int32(parameterCount), nil)
        do {
            try await finishSending(sent, deadline: deadline)
            _ = try await collectResult(deadline: deadline)
        } catch {
            // Cut short, the server may have prepared it anyway: preparing it again on this
            // connection would fail, so it is not reused.
            if error.kind == .cancelled || error.kind == .timeout { brokenFlag = true }
            throw error
        }
        prepared.insert(statement.name)
    }

    /// Runs one SQL text without parameters (may hold several statements: BEGIN, migrations).
    func execute(sql: String, deadline: ContinuousClock.Instant) async throws(LibPQFailure) -> LibPQRows {
        guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
        try await finishSending(PQsendQuery(handle, sql), deadline: deadline)
        return try await collectResult(deadline: deadline)
    }

    /// A setting the server reports (`client_encoding`, `server_version`, ...), if known.
    func parameterStatus(_ name: String) -> String? {
        guard let handle, let value = PQparameterStatus(handle, name) else { return nil }
        return String(cString: value)
    }

    /// Whether this idle connection can no longer be trusted: the server closed it (restart,
    /// failover, idle timeout) or sent something unasked. An idle connection has nothing to
    /// read, and a server that terminates sessions sends an error and then closes; either
    /// part may arrive first, so anything readable means "replace it" (a rare async notice
    /// only costs a reconnect). The pool asks before lending a connection that sat idle
    /// (``ConnectionPoolConfiguration/staleCheckAfter``).
    func isStale() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return true }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }

    func close() async {
        if let handle { PQfinish(handle) }
        handle = nil
        canceller = nil
    }

    // MARK: I/O

    func finishSending(_ sent: Int32, deadline: ContinuousClock.Instant) async throws(LibPQFailure) {
        guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
        guard sent == 1 else { throw broken() }
        while true {
            let flushed = PQflush(handle)
            if flushed == 0 { return }
            if flushed < 0 { throw broken() }
            // The socket's send buffer is full: wait until it drains (reading input meanwhile
            // keeps the server from blocking on us).
            try await waitForSocket(.writable, deadline: deadline)
            if PQconsumeInput(handle) == 0 { throw broken() }
        }
    }

    /// Reads until the query's results are complete and returns the first one's rows.
    func collectResult(
        deadline: ContinuousClock.Instant, shape: PostgresResultShape? = nil
    ) async throws(LibPQFailure) -> LibPQRows {
        guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
        var first: LibPQRows?
        var failure: LibPQFailure?
        while let result = try await nextResult(deadline: deadline) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                if first == nil { first = LibPQRows(copying: result, shape: shape) }
            default:
                if failure == nil { failure = serverFailure(result) }
            }
        }
        if let failure {
            if PQstatus(handle) != CONNECTION_OK { brokenFlag = true }
            throw failure
        }
        if PQstatus(handle) != CONNECTION_OK { throw broken() }
        return first ?? LibPQRows(affected: 0)
    }

    /// The next result of what was sent (`nil` once a query's results are all read),
    /// waiting for the socket while libpq has none complete.
    ///
    /// Reads before it waits, after the inline wait's yield (see
    /// `SocketWaiter.yieldForReply`): the reply is often there already (on a CPU shared
    /// with the server, it was written during the yield or while this thread was preempted
    /// in its send), and the read that takes it replaces the wait's first look.
    func nextResult(deadline: ContinuousClock.Instant) async throws(LibPQFailure) -> OpaquePointer? {
        guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
        if PQisBusy(handle) != 0 {
            let spin = mayWaitInline ? replySpin.budget : .zero
            var yielded = SocketWaiter.yieldForReply(spin: spin, busyPolls: busyPollsInline)
            if PQconsumeInput(handle) == 0 { throw broken() }
            while PQisBusy(handle) != 0 {
                try await waitForSocket(
                    .readable, deadline: deadline, spin: spin, busyPolls: busyPollsInline, checked: true, yielded: yielded)
                yielded = false
                if PQconsumeInput(handle) == 0 { throw broken() }
            }
        }
        return PQgetResult(handle)
    }

    /// `checked`: the caller read the socket without blocking an instant ago; `yielded`:
    /// it gave the core away just before (see `SocketWaiter.wait`).
    func waitForSocket(
        _ interest: SocketInterest, deadline: ContinuousClock.Instant, spin: Duration = .microseconds(60),
        busyPolls: Bool = true, checked: Bool = false, yielded: Bool = false
    ) async throws(LibPQFailure) {
        guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
        let fd = PQsocket(handle)
        guard fd >= 0 else { throw broken() }
        do {
            try await SocketWaiter.shared.wait(
                for: interest, on: fd, deadline: deadline, spin: spin, busyPolls: busyPolls, cancellable: waitsCancellable,
                checked: checked, yielded: yielded)
        } catch {
            // A half-finished exchange leaves the protocol state unknown: not reused unless
            // the statement is cancelled on the server and its results read to the end.
            brokenFlag = true
            switch error {
            case .timedOut:
                await abandonStatement()
                throw LibPQFailure(kind: .timeout, message: "no answer from the server in time")
            case .cancelled:
                await abandonStatement()
                throw LibPQFailure(kind: .cancelled, message: "cancelled")
            case .failed(let code): throw LibPQFailure(kind: .connection, message: "socket error \(code)")
            }
        }
    }

    func broken() -> LibPQFailure {
        brokenFlag = true
        return LibPQFailure(kind: .connection, message: errorMessage)
    }

    private var errorMessage: String {
        guard let handle, let text = PQerrorMessage(handle) else { return "unknown libpq error" }
        let message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        return message.isEmpty ? "the connection was lost" : message
    }

    /// The failure a server error result describes. A session that turned read-only
    /// (`25006`: its server was demoted to a standby, or `default_transaction_read_only`
    /// was set under it) is not reused: the pool replaces it, and libpq's
    /// `target_session_attrs=read-write` picks the server that accepts writes now.
    func serverFailure(_ result: OpaquePointer) -> LibPQFailure {
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
        let text = primary ?? String(cString: PQresultErrorMessage(result))
        if state == PostgresErrorMapping.readOnlySession { brokenFlag = true }
        return LibPQFailure(kind: .server, sqlState: state, message: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// A `PGconn` handed from the dispatch thread that started it to the connecting task.
/// `@unchecked Sendable`: the thread that created it never touches it again.
private struct StartedHandle: @unchecked Sendable {
    let handle: OpaquePointer?
}

/// Calls `body` with NULL-terminated C string arrays of the keys and values.
private func withCStringArrays<R>(
    _ pairs: [(String, String)], _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> R
) -> R {
    let keys = pairs.map { strdup($0.0) }
    let values = pairs.map { strdup($0.1) }
    defer {
        keys.forEach { free($0) }
        values.forEach { free($0) }
    }
    let keyPointers = keys.map { UnsafePointer($0) } + [nil]
    let valuePointers = values.map { UnsafePointer($0) } + [nil]
    return keyPointers.withUnsafeBufferPointer { k in
        valuePointers.withUnsafeBufferPointer { v in body(k.baseAddress!, v.baseAddress!) }
    }
}
