import TokenStoreKit

extension PostgresTokenStore {
    /// Rows per bulk statement: large enough that a batch is a few round trips, small
    /// enough that one statement's parameters stay a few megabytes.
    static let bulkChunk = 1000

    /// Saves the batch with one `INSERT ... SELECT FROM unnest(...) ON CONFLICT` per chunk
    /// of rows (array parameters, a prepared statement), all in one transaction.
    ///
    /// A key named more than once is written in turns (first occurrences, then second...),
    /// since one statement cannot update a row twice; within the transaction this is the
    /// same as saving the tokens one by one, and so is the count.
    ///
    /// - Returns: how many tokens were written (`.ifNewer` skips those not newer).
    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        guard !tokens.isEmpty else {
            try schemaGate.check(store: displayName, operation: "saveAccessTokens")
            return 0
        }
        let rows = try tokens.map { token in
            let parameters = PostgresRowCodec.parameters(token)
            try PostgresRowCodec.checkStorable(parameters, store: displayName, operation: "saveAccessTokens")
            return parameters
        }
        let rounds = Self.rounds(of: tokens.map { [$0.provider, $0.userID] })
        let statement = policy == .overwrite ? statements.saveAccessTokensOverwrite : statements.saveAccessTokensIfNewer
        return try await runBulk(statement, rows: rows, rounds: rounds, operation: "saveAccessTokens")
    }

    /// Saves the batch like ``saveAccessTokens(_:policy:)``: one bulk statement per chunk,
    /// one transaction; each token keeps its own `expiresAt`, a name given twice ends as
    /// the later token.
    ///
    /// - Returns: how many were written (every token).
    @discardableResult
    public func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int {
        guard !tokens.isEmpty else {
            try schemaGate.check(store: displayName, operation: "saveRequestTokens")
            return 0
        }
        let rows = try tokens.map { token in
            let parameters = PostgresRowCodec.parameters(token)
            try PostgresRowCodec.checkStorable(parameters, store: displayName, operation: "saveRequestTokens")
            return parameters
        }
        let rounds = Self.rounds(of: tokens.map { [$0.token] })
        return try await runBulk(statements.saveRequestTokens, rows: rows, rounds: rounds, operation: "saveRequestTokens")
    }

    /// Splits row indexes into turns in which no key repeats: turn `k` holds the `k`-th
    /// occurrence of every key, in batch order.
    static func rounds(of keys: [[String]]) -> [[Int]] {
        var seen: [[String]: Int] = [:]
        var rounds: [[Int]] = [[]]
        for (index, key) in keys.enumerated() {
            let turn = seen[key, default: 0]
            seen[key] = turn + 1
            if turn == rounds.count { rounds.append([]) }
            rounds[turn].append(index)
        }
        return rounds
    }

    /// Runs `statement` once per chunk of each round, in a transaction when that is more
    /// than one statement, and sums the rows affected.
    private func runBulk(_ statement: PostgresStatements.Statement, rows: [[String?]], rounds: [[Int]], operation: String) async throws -> Int {
        var parameterSets: [[String?]] = []
        for round in rounds {
            var start = 0
            while start < round.count {
                let chunk = round[start..<min(start + Self.bulkChunk, round.count)]
                start += chunk.count
                parameterSets.append(PostgresArrayLiteral.columns(chunk.map { rows[$0] }, width: 9))
            }
        }
        let timeout = configuration.statementTimeout + .seconds(1)
        return try await withConnection(operation) { connection, deadline throws(LibPQFailure) in
            if parameterSets.count == 1 {
                return try await connection.execute(statement, parameters: parameterSets[0], deadline: deadline).affected
            }
            _ = try await connection.execute(sql: "BEGIN", deadline: deadline)
            var written = 0
            do throws(LibPQFailure) {
                for parameters in parameterSets {
                    written += try await connection.execute(statement, parameters: parameters, deadline: .now + timeout).affected
                }
                _ = try await connection.execute(sql: "COMMIT", deadline: .now + timeout)
            } catch let failure {
                if !connection.isBroken { _ = try? await connection.execute(sql: "ROLLBACK", deadline: .now + timeout) }
                throw failure
            }
            return written
        }
    }
}
