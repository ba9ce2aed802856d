import CTokenStoreLibPQ
import TokenStoreKit

/// One single-statement call carried in a pipeline (see ``LibPQConnection/executePipeline(_:deadline:)``).
struct PipelinedStatement: Sendable {
    var statement: PostgresStatements.Statement
    var parameters: [String?]
    /// Whether the statement only reads. Reads share a sync point; a write gets one right
    /// after it, so it commits on its own and a later failure cannot roll it back.
    var readOnly: Bool

    init(_ statement: PostgresStatements.Statement, parameters: [String?], readOnly: Bool) {
        self.statement = statement
        self.parameters = parameters
        self.readOnly = readOnly
    }
}

extension LibPQConnection {
    /// Runs `statements` in libpq's pipeline mode: all sent in one write, results read in
    /// order. Each statement gets its own outcome: a server error fails only that statement.
    ///
    /// Statements between two sync points run in one implicit transaction, and an error
    /// makes the server skip the rest of it (`PGRES_PIPELINE_ABORTED`). Skipped statements
    /// did not run, so they are sent again in a next round; every round settles at least
    /// the first statement of each sync group, so the rounds end. A sync after every write
    /// (and at the end) keeps a failing statement from undoing another call's write.
    ///
    /// When the connection itself fails (I/O, deadline, cancellation, results out of
    /// step), every statement not settled yet gets that failure and the connection is
    /// marked broken; statements that completed before keep their results.
    func executePipeline(
        _ statements: [PipelinedStatement], deadline: ContinuousClock.Instant
    ) async -> [Result<LibPQRows, LibPQFailure>] {
        var outcomes = [Result<LibPQRows, LibPQFailure>?](repeating: nil, count: statements.count)
        // Other callers' statements ride along: this task's cancellation must not abandon
        // them half-way; the deadline still bounds every wait.
        waitsCancellable = false
        defer { waitsCancellable = true }
        do throws(LibPQFailure) {
            guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
            for statement in statements {
                try await prepare(statement.statement, parameterCount: statement.parameters.count, deadline: deadline)
            }
            guard PQenterPipelineMode(handle) == 1 else { throw broken() }
            var pending = Array(statements.indices)
            while !pending.isEmpty {
                pending = try await pipelineRound(pending, of: statements, into: &outcomes, deadline: deadline)
            }
            guard PQexitPipelineMode(handle) == 1 else { throw broken() }
        } catch {
            brokenFlag = true
            for index in outcomes.indices where outcomes[index] == nil { outcomes[index] = .failure(error) }
        }
        return outcomes.map { $0 ?? .failure(LibPQFailure(kind: .connection, message: "no result for a pipelined statement")) }
    }

    /// What the next results of a round belong to.
    private enum Expected {
        case statement(Int)
        case sync
    }

    /// Sends the `pending` statements, reads their results into `outcomes` and returns the
    /// ones the server skipped after an error in their sync group.
    private func pipelineRound(
        _ pending: [Int], of statements: [PipelinedStatement], into outcomes: inout [Result<LibPQRows, LibPQFailure>?],
        deadline: ContinuousClock.Instant
    ) async throws(LibPQFailure) -> [Int] {
        guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
        var expected: [Expected] = []
        expected.reserveCapacity(pending.count + 2)
        for (position, index) in pending.enumerated() {
            let statement = statements[index]
            let sent = sendPrepared(statement.statement, statement.parameters)
            guard sent == 1 else { throw broken() }
            expected.append(.statement(index))
            if !statement.readOnly || position == pending.count - 1 {
                // Queued in libpq's buffer; PQflush below sends what is left in one go.
                guard PQpipelineSync(handle) == 1 else { throw broken() }
                expected.append(.sync)
            }
        }
        try await finishSending(1, deadline: deadline)

        var skipped: [Int] = []
        for item in expected {
            guard let result = try await nextResult(deadline: deadline) else {
                throw pipelineOutOfStep()
            }
            let status = PQresultStatus(result)
            switch item {
            case .sync:
                PQclear(result)
                guard status == PGRES_PIPELINE_SYNC else { throw pipelineOutOfStep() }
            case .statement(let index):
                switch status {
                case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                    outcomes[index] = .success(LibPQRows(copying: result, shape: statements[index].statement.shape))
                case PGRES_PIPELINE_ABORTED:
                    skipped.append(index)
                case PGRES_PIPELINE_SYNC:
                    PQclear(result)
                    throw pipelineOutOfStep()
                default:
                    var failure = serverFailure(result)
                    if PQstatus(handle) != CONNECTION_OK {
                        // The server ended the session (shutdown, terminated backend): a
                        // connection failure, retried by reads like any other.
                        brokenFlag = true
                        failure.kind = .connection
                    }
                    outcomes[index] = .failure(failure)
                }
                PQclear(result)
                // A statement's results end with NULL.
                while let extra = try await nextResult(deadline: deadline) { PQclear(extra) }
            }
        }
        if PQstatus(handle) != CONNECTION_OK { throw broken() }
        return skipped
    }

    /// The results did not arrive in the order sent: the connection cannot be trusted.
    private func pipelineOutOfStep() -> LibPQFailure {
        brokenFlag = true
        if let handle, PQstatus(handle) != CONNECTION_OK { return broken() }
        return LibPQFailure(kind: .connection, message: "pipelined results arrived out of step")
    }
}
