import Logging
import Synchronization
import TokenStoreKit

/// The work of a ``ConnectionPool``, on connections of any type.
///
/// Not generic on purpose: a generic class's nested types (its state, its waiters) need
/// their metadata looked up at run time on every call from another module, where the
/// code is not specialized (measurable in the 16-caller benchmarks). `@inlinable` does
/// not help here: Swift 6.3 does not specialize `package` declarations across modules
/// (checked with a two-module package; `public` ones are). The typed ``ConnectionPool``
/// wraps it.
final class ConnectionPoolCore: Sendable {
    typealias Connection = any PooledConnection
    typealias Configuration = ConnectionPoolConfiguration

    /// What a waiting caller is handed: a connection, or a reserved slot to open one in.
    private enum Grant {
        case connection(Connection)
        case slot
    }

    /// What ``acquireSlowly()`` can do at once.
    private enum Immediate {
        case connection(Idle)
        case slot
        case wait(UInt64)
    }

    /// What ``giveBack(_:)`` does with a healthy connection.
    private enum ReleaseOutcome {
        case handedOver(Waiter)
        case kept
        case close
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Grant, any Error>
        /// When the wait fails with ``ConnectionPoolError/acquireTimedOut``. Every waiter
        /// gets the same timeout, so the queue is ordered by deadline too.
        var deadline: ContinuousClock.Instant
    }

    private struct Idle {
        var connection: Connection
        var since: ContinuousClock.Instant
    }

    private struct State {
        /// Idle connections, most recently used last.
        var idle: [Idle] = []
        /// Open connections plus reserved slots being opened.
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 1
        var cancelledEarly: Set<UInt64> = []
        var isShutDown = false
        /// Whether the task that times out waiters is running (see ``sweepExpiredWaiters()``).
        var sweeperRunning = false
        /// The counts last added to the meters (see ``withState(_:)``).
        var published = ConnectionPoolCounts()

        var counts: ConnectionPoolCounts {
            ConnectionPoolCounts(open: open, idle: idle.count, waiting: waiters.count)
        }
    }

    private let configuration: Configuration
    private let logger: Logger
    private let factory: @Sendable () async throws -> Connection
    private let state = Mutex(State())
    private let meters: ConnectionPoolMeters

    /// Creates a pool; `factory` opens one connection (and throws the driver's error).
    init(
        configuration: Configuration,
        logger: Logger,
        factory: @escaping @Sendable () async throws -> Connection
    ) {
        var configuration = configuration
        configuration.maxConnections = max(1, configuration.maxConnections)
        configuration.minConnections = min(max(0, configuration.minConnections), configuration.maxConnections)
        self.configuration = configuration
        self.logger = logger
        self.factory = factory
        meters = ConnectionPoolMeters(driver: configuration.metricsDriver, factory: configuration.metricsFactory)
    }

    /// A pool released without ``shutdown()`` takes back what it added to the meters (its
    /// connections close as they are released).
    deinit {
        state.withLock { state in
            meters.publish(from: state.published, to: ConnectionPoolCounts())
            state.published = ConnectionPoolCounts()
        }
    }

    /// Runs `body` on the state under the lock, then moves the meters by what it changed.
    ///
    /// Every change of the state goes through here, so the meters follow the counts
    /// exactly (never below zero, never drifting) and a call that changed nothing touches
    /// no meter. The meters are moved under the lock: two changes are published in the
    /// order they were made.
    @inline(__always)
    private func withState<Result: Sendable, E: Error>(
        _ body: (inout State) throws(E) -> Result
    ) throws(E) -> Result {
        try state.withLock { (state: inout State) throws(E) -> Result in
            defer {
                let counts = state.counts
                if counts != state.published {
                    meters.publish(from: state.published, to: counts)
                    state.published = counts
                }
            }
            return try body(&state)
        }
    }

    /// Counts for tests and metrics: open connections (with slots being opened), idle ones, waiters.
    var statistics: (open: Int, idle: Int, waiting: Int) {
        state.withLock { ($0.open, $0.idle.count, $0.waiters.count) }
    }

    // MARK: Acquire and release

    /// An idle connection, without suspending; `nil` when the caller must wait or open one.
    func takeIdle() throws -> Connection? {
        while true {
            let idle: Idle? = try withState { state in
                if state.isShutDown { throw ConnectionPoolError.shutDown }
                return state.idle.popLast()
            }
            guard let idle else { return nil }
            if isFit(idle) { return idle.connection }
        }
    }

    /// Whether `idle` may be lent: given back within ``Configuration/staleCheckAfter``, or
    /// checked and not stale. A stale one gives up its slot at once (to the oldest waiter, if
    /// any) and is closed in a task of its own (the server already closed its end), so the
    /// caller goes on to the next idle one, or opens a fresh one, without suspending here.
    private func isFit(_ idle: Idle) -> Bool {
        if idle.since.duration(to: .now) < configuration.staleCheckAfter || !idle.connection.isStale() { return true }
        logger.info("replacing a pooled connection the server closed")
        let connection = idle.connection
        freeSlot()
        Task { await connection.close() }
        return false
    }

    /// Opens a connection in a free slot, or waits for one to be released. Never inlined,
    /// like ``close(returned:)``: the slow paths' locals stay out of the async frame of
    /// ``ConnectionPool/withConnection(_:)``, which every lease pays.
    @inline(never)
    func acquireSlowly() async throws -> Connection {
        let immediate: Immediate = try withState { state in
            if state.isShutDown { throw ConnectionPoolError.shutDown }
            if let idle = state.idle.popLast() { return .connection(idle) }
            if state.open < configuration.maxConnections {
                state.open += 1
                return .slot
            }
            defer { state.nextWaiterID += 1 }
            return .wait(state.nextWaiterID)
        }
        switch immediate {
        case .connection(let idle):
            return isFit(idle) ? idle.connection : try await acquireSlowly()
        case .slot:
            return try await openInReservedSlot()
        case .wait(let id):
            switch try await waitForGrant(id: id) {
            case .connection(let connection): return connection
            case .slot: return try await openInReservedSlot()
            }
        }
    }

    private func openInReservedSlot() async throws -> Connection {
        do {
            let connection = try await factory()
            logger.debug("opened a pooled connection")
            return connection
        } catch {
            freeSlot()
            throw error
        }
    }

    /// Gives a freed slot to the oldest waiter, or returns it to the pool.
    private func freeSlot() {
        let waiter: Waiter? = withState { state in
            if !state.isShutDown, !state.waiters.isEmpty {
                return state.waiters.removeFirst()
            }
            state.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .slot)
    }

    private func waitForGrant(id: UInt64) async throws -> Grant {
        let deadline = ContinuousClock.now.advanced(by: configuration.acquireTimeout)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                var startSweeper = false
                let rejection: (any Error)? = withState { state in
                    if state.cancelledEarly.remove(id) != nil { return CancellationError() }
                    if state.isShutDown { return ConnectionPoolError.shutDown }
                    state.waiters.append(Waiter(id: id, continuation: continuation, deadline: deadline))
                    if !state.sweeperRunning {
                        state.sweeperRunning = true
                        startSweeper = true
                    }
                    return nil
                }
                if let rejection { continuation.resume(throwing: rejection) }
                if startSweeper {
                    Task { [weak self] in await self?.sweepExpiredWaiters() }
                }
            }
        } onCancel: {
            failWaiter(id: id, with: CancellationError(), rememberIfAbsent: true)
        }
    }

    /// Fails waiters whose deadline passed with ``ConnectionPoolError/acquireTimedOut``,
    /// sleeping until the oldest waiter's deadline, and returns once no one waits.
    ///
    /// One task per pool, started by the first waiter when none runs: a timer task per
    /// waiting caller cost a task, a sleep and a cancellation on every contended acquire.
    private func sweepExpiredWaiters() async {
        while true {
            let now = ContinuousClock.now
            let (expired, next): ([Waiter], ContinuousClock.Instant?) = withState { state in
                var expired: [Waiter] = []
                while let first = state.waiters.first, first.deadline <= now {
                    expired.append(state.waiters.removeFirst())
                }
                guard !state.isShutDown, let first = state.waiters.first else {
                    state.sweeperRunning = false
                    return (expired, nil)
                }
                return (expired, first.deadline)
            }
            for waiter in expired { waiter.continuation.resume(throwing: ConnectionPoolError.acquireTimedOut) }
            guard let next else { return }
            try? await Task.sleep(until: next, tolerance: .milliseconds(1), clock: .continuous)
        }
    }

    private func failWaiter(id: UInt64, with error: any Error, rememberIfAbsent: Bool = false) {
        let waiter: Waiter? = withState { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                if rememberIfAbsent { state.cancelledEarly.insert(id) }
                return nil
            }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Takes a connection back without suspending: a healthy one into the idle list or
    /// straight to the oldest waiter. `false` when the caller must ``close(returned:)`` it:
    /// it is broken, or the pool was shut down (its slot is already given up then).
    func giveBack(_ connection: Connection) -> Bool {
        if connection.isBroken { return false }
        let outcome: ReleaseOutcome = withState { state in
            if state.isShutDown {
                state.open -= 1
                return .close
            }
            if !state.waiters.isEmpty { return .handedOver(state.waiters.removeFirst()) }
            state.idle.append(Idle(connection: connection, since: .now))
            return .kept
        }
        switch outcome {
        case .handedOver(let waiter):
            waiter.continuation.resume(returning: .connection(connection))
            return true
        case .kept:
            return true
        case .close:
            return false
        }
    }

    /// Closes a connection ``giveBack(_:)`` refused; a broken one's slot goes to the
    /// oldest waiter, who opens a fresh connection in it.
    @inline(never)
    func close(returned connection: Connection) async {
        let broken = connection.isBroken
        if broken { logger.debug("closing a broken pooled connection") }
        await connection.close()
        if broken { freeSlot() }
    }

    // MARK: Lifecycle

    /// Keeps `minConnections` open and closes idle ones until ``shutdown()`` or until the
    /// calling task is cancelled (which shuts the pool down). Optional: the pool works
    /// without it, lazily.
    func run() async {
        let interval = min(Duration.seconds(1), configuration.idleTimeout / 2)
        while !Task.isCancelled, !state.withLock({ $0.isShutDown }) {
            await openMinimum()
            await closeIdle()
            try? await Task.sleep(for: interval)
        }
        await shutdown()
    }

    private func openMinimum() async {
        while true {
            let reserved = withState { state -> Bool in
                guard !state.isShutDown, state.open < configuration.minConnections else { return false }
                state.open += 1
                return true
            }
            guard reserved else { return }
            do {
                let connection = try await factory()
                if !giveBack(connection) { await close(returned: connection) }
            } catch {
                freeSlot()
                logger.debug("could not open a minimum pool connection; retrying later", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    private func closeIdle() async {
        let cutoff = ContinuousClock.now.advanced(by: .zero - configuration.idleTimeout)
        let stale: [Connection] = withState { state in
            var stale: [Connection] = []
            // Oldest first; keep at least minConnections open.
            while let oldest = state.idle.first, oldest.since < cutoff, state.open > configuration.minConnections {
                state.idle.removeFirst()
                state.open -= 1
                stale.append(oldest.connection)
            }
            return stale
        }
        for connection in stale { await connection.close() }
        if !stale.isEmpty { logger.debug("closed idle pooled connections", metadata: ["count": "\(stale.count)"]) }
    }

    /// Closes every idle connection, fails waiting callers with ``ConnectionPoolError/shutDown``,
    /// closes leased connections when they come back, and makes ``run()`` return. Safe to
    /// call twice.
    func shutdown() async {
        let (idle, waiters): ([Idle], [Waiter]) = withState { state in
            state.isShutDown = true
            defer {
                state.open -= state.idle.count
                state.idle.removeAll()
                state.waiters.removeAll()
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: ConnectionPoolError.shutDown) }
        for entry in idle { await entry.connection.close() }
    }
}
