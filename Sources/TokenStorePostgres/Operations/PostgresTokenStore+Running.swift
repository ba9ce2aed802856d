import Foundation
import Logging
import Synchronization
import TokenStoreIO
import TokenStoreKit

/// How every operation runs its statements: on a pooled connection (leases, retries), and
/// pipelined with concurrent calls (`CallCoalescer`).
extension PostgresTokenStore {
    /// Runs `body` on a pooled connection, mapping failures to `TokenStoreError`.
    ///
    /// The pool replaces a connection the server closed while idle before lending it. A read
    /// (`idempotent`) that loses its connection mid-call is retried once on a fresh one;
    /// a write never is, since it may have run.
    /// Token operations (`gated`) first check that the schema is the one this build needs.
    func withConnection<Result: Sendable>(
        _ operation: String,
        idempotent: Bool = false,
        gated: Bool = true,
        _ body: (LibPQConnection, ContinuousClock.Instant) async throws(LibPQFailure) -> Result
    ) async throws -> Result {
        try checkOpen(operation, gated: gated)
        var retried = false
        while true {
            do {
                return try await pool.withConnection { connection in
                    let deadline = ContinuousClock.now + configuration.operationTimeout + .seconds(1)
                    connection.mayWaitInline = configuration.replyWait != .park && !coalescer.hasCompany
                    connection.busyPollsInline = configuration.replyWait == .spin
                    return try await body(connection, deadline)
                }
            } catch {
                try retryOrThrow(after: error, retried: &retried, operation: operation, idempotent: idempotent)
            }
        }
    }

    /// Whether the store is open and, for token operations (`gated`), its schema current.
    private func checkOpen(_ operation: String, gated: Bool) throws {
        guard !isClosed.withLock({ $0 }) else {
            throw TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
        }
        if gated { try schemaGate.check(store: displayName, operation: operation) }
    }

    /// Returns when a failed lease should run again (a read's first lost connection; `retried`
    /// records it), else throws the failure in the store's terms.
    ///
    /// Kept out of `withConnection`: an async function's frame holds whatever it inlines,
    /// and this mapping more than tripled that frame on every call's path.
    @inline(never)
    private func retryOrThrow(after error: any Error, retried: inout Bool, operation: String, idempotent: Bool) throws {
        switch error {
        case let failure as LibPQFailure:
            if failure.kind == .connection, idempotent, !retried {
                retried = true
                return
            }
            throw PostgresErrorMapping.error(for: failure, store: displayName, operation: operation)
        case ConnectionPoolError.acquireTimedOut:
            throw TokenStoreError(
                .timedOut, store: displayName, operation: operation,
                message: "no pooled connection became free within \(configuration.acquireTimeout) (pool_max \(configuration.maxConnections))")
        case ConnectionPoolError.shutDown:
            throw TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
        default:
            throw error
        }
    }

    /// Runs a prepared statement, pipelined with concurrent calls when every leader slot
    /// is taken (see `CallCoalescer`). A lone call runs straight on a connection.
    ///
    /// Only the lone call's path is written here; the pipelined paths are functions of their
    /// own that are never inlined. An async function's frame holds the locals of every path
    /// it inlines, and the pipelined ones made this frame 1.9 KB: past the first slab of a
    /// fresh task's allocator, so every call from a new task paid a `malloc` for it.
    func run(
        _ statement: PostgresStatements.Statement, _ parameters: [String?], operation: String, idempotent: Bool = false
    ) async throws -> LibPQRows {
        guard coalescer.tryLead() else {
            return try await follow(PipelinedStatement(statement, parameters: parameters, readOnly: idempotent), operation: operation)
        }
        let followers = await coalescer.gatherFollowers()
        guard followers.isEmpty else {
            return try await lead(
                PipelinedStatement(statement, parameters: parameters, readOnly: idempotent), operation: operation, followers: followers)
        }
        // Alone: straight onto a connection.
        defer { coalescer.finishLeading() }
        return try await withConnection(operation, idempotent: idempotent) { connection, deadline throws(LibPQFailure) in
            try await connection.execute(statement, parameters: parameters, deadline: deadline)
        }
    }

    /// Queues the statement behind the leaders and waits: for its outcome from the leader
    /// that carried it, or for a leader slot (then it leads).
    @inline(never)
    private func follow(_ statement: PipelinedStatement, operation: String) async throws -> LibPQRows {
        let turn: CallCoalescer<PipelinedStatement, LibPQRows>.Turn
        do {
            turn = try await coalescer.follow(statement)
        } catch {
            throw PostgresErrorMapping.error(for: LibPQFailure(kind: .cancelled, message: "cancelled"), store: displayName, operation: operation)
        }
        switch turn {
        case .lead:
            return try await lead(statement, operation: operation, followers: coalescer.takeFollowers())
        case .done(let outcome):
            return try await settle(outcome, of: statement, operation: operation)
        }
    }

    /// Runs this call's statement, with the `followers'` after it in one pipeline when
    /// there are any, hands each follower its outcome, and ends the leader turn.
    @inline(never)
    private func lead(
        _ statement: PipelinedStatement, operation: String, followers: [CallCoalescer<PipelinedStatement, LibPQRows>.Follower]
    ) async throws -> LibPQRows {
        defer { coalescer.finishLeading() }
        if followers.isEmpty { return try await runAlone(statement, operation: operation, idempotent: statement.readOnly) }
        var statements = [statement]
        statements.reserveCapacity(followers.count + 1)
        for follower in followers { statements.append(follower.job) }
        // Followers' statements ride along: the pipeline's waits ignore this task's
        // cancellation (see ``LibPQConnection/executePipeline(_:deadline:)``), so running
        // the I/O right here cannot abandon them.
        let outcomes: [Result<LibPQRows, LibPQFailure>]
        do {
            outcomes = try await withConnection(operation) { connection, deadline throws(LibPQFailure) in
                await connection.executePipeline(statements, deadline: deadline)
            }
        } catch {
            // Nothing was sent: `executePipeline` never throws, so this is the lease (waiting
            // for a connection, connecting).
            coalescer.abandon(followers, after: error, sent: false)
            return try await settle(.failure(error), of: statement, operation: operation)
        }
        for (follower, outcome) in zip(followers, outcomes.dropFirst()) {
            coalescer.deliver(outcome.mapError { $0 }, to: follower)
        }
        return try await settle(outcomes[0].mapError { $0 }, of: statement, operation: operation)
    }

    /// The rows of a pipelined statement, or its error in this call's terms. A read whose
    /// connection failed is retried once, alone, on a fresh connection.
    @inline(never)
    private func settle(_ outcome: Result<LibPQRows, any Error>, of statement: PipelinedStatement, operation: String) async throws
        -> LibPQRows
    {
        switch outcome {
        case .success(let rows):
            return rows
        case .failure(let failure as LibPQFailure):
            if failure.kind == .connection, statement.readOnly {
                return try await runAlone(statement, operation: operation, idempotent: false)
            }
            throw PostgresErrorMapping.error(for: failure, store: displayName, operation: operation)
        case .failure(var error as TokenStoreError):
            error.operation = operation
            throw error
        case .failure(let error):
            throw error
        }
    }

    /// Runs one prepared statement on a connection of its own.
    @inline(never)
    private func runAlone(_ statement: PipelinedStatement, operation: String, idempotent: Bool) async throws -> LibPQRows {
        try await withConnection(operation, idempotent: idempotent) { connection, deadline throws(LibPQFailure) in
            try await connection.execute(statement.statement, parameters: statement.parameters, deadline: deadline)
        }
    }
}

extension PostgresTokenStore {
    /// How this driver coalesces concurrent calls (see `CallCoalescer`).
    ///
    /// - A few leaders, each carrying up to 64 queued calls in one pipeline, beat one
    ///   connection per call: the server reads a batch with one receive and answers it
    ///   with one send.
    /// - A long company window: a PostgreSQL round trip is slower than Redis's, and a
    ///   leader that just took every queued call is usually joined again within it, so its
    ///   reply waits park instead of holding a core the server and the other callers need.
    /// - Leaders yield once for followers: the calls a finished pipeline resumed queue
    ///   first and ride along (more statements per send under 16 callers; see
    ///   Benchmarks/README.md).
    static func coalescing(maxConnections: Int) -> CallCoalescer<PipelinedStatement, LibPQRows>.Policy {
        CallCoalescer.Policy(
            leaders: min(maxConnections, max(2, ProcessInfo.processInfo.activeProcessorCount)),
            companyWindow: .milliseconds(20), yieldsForFollowers: true)
    }
}
