import Foundation
import Logging
import TokenStoreKit

extension PostgresTokenStore {
    /// Rows staged and upserted at a time: the most a bulk call holds encoded, whatever
    /// the size of the batch it was given.
    static let bulkChunk = 5000

    /// Saves the batch in one transaction: each chunk of rows is sent with one `COPY` into
    /// a temporary staging table and upserted from there with one
    /// `INSERT ... SELECT ... ON CONFLICT` (per round of keys, below).
    ///
    /// A key named more than once in a chunk is written in turns (first occurrences, then
    /// second...), since one statement cannot update a row twice; chunks are written in
    /// order. Within the transaction this is the same as saving the tokens one by one,
    /// and so is the count.
    ///
    /// - Returns: how many tokens were written (`.ifNewer` skips those not newer).
    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        guard !tokens.isEmpty else {
            try schemaGate.check(store: displayName, operation: "saveAccessTokens")
            return 0
        }
        let statement = policy == .overwrite ? statements.saveAccessTokensOverwrite : statements.saveAccessTokensIfNewer
        return try await writeStaged(
            tokens, stage: PostgresStatements.accessStage, upsert: statement, operation: "saveAccessTokens",
            key: { [$0.provider, $0.userID] }, fields: { PostgresRowCodec.parameters($0) })
    }

    /// Saves the batch like ``saveAccessTokens(_:policy:)``: staged with `COPY` in chunks,
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
        return try await writeStaged(
            tokens, stage: PostgresStatements.requestStage, upsert: statements.saveRequestTokens, operation: "saveRequestTokens",
            key: { [$0.token] }, fields: { PostgresRowCodec.parameters($0) })
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

    /// What a staged write ended with.
    private enum StagedOutcome: Sendable {
        case written(Int)
        /// A value held NUL (PostgreSQL text cannot); the transaction was rolled back.
        case refusedNUL
    }

    /// Writes `tokens` chunk by chunk through the staging table `stage` and the `upsert`
    /// statement (its `$1` is the round), in one transaction, and sums the rows affected.
    private func writeStaged<Token>(
        _ tokens: [Token], stage: String, upsert: PostgresStatements.Statement, operation: String,
        key: (Token) -> [String], fields: (Token) -> [String?]
    ) async throws -> Int {
        let chunkRows = max(1, configuration.bulkChunkRows)
        let timeout = configuration.statementTimeout + .seconds(1)
        let logger = configuration.logger
        let name = displayName
        let copy = "COPY pg_temp.\(stage) FROM STDIN"
        let outcome = try await withConnection(operation) { connection, deadline throws(LibPQFailure) -> StagedOutcome in
            if !connection.hasStagingTables {
                _ = try await connection.execute(sql: PostgresStatements.createStages, deadline: deadline)
                connection.hasStagingTables = true
            }
            _ = try await connection.execute(sql: "BEGIN", deadline: .now + timeout)
            // Encoded rows hold secrets: wiped after every COPY and on the way out.
            var buffer: [UInt8] = []
            defer { Self.wipe(&buffer) }
            do throws(LibPQFailure) {
                var written = 0
                var start = 0
                while start < tokens.count {
                    let chunk = tokens[start..<min(start + chunkRows, tokens.count)]
                    let rounds = Self.rounds(of: chunk.map(key))
                    for (round, indexes) in rounds.enumerated() {
                        for index in indexes {
                            let values = fields(chunk[chunk.startIndex + index])
                            guard !values.contains(where: { $0.map(PostgresRowCodec.hasNUL) == true }) else {
                                _ = try await connection.execute(sql: "ROLLBACK", deadline: .now + timeout)
                                return .refusedNUL
                            }
                            PostgresCopyText.appendRow(round: round, values, to: &buffer)
                        }
                    }
                    if start > 0 { _ = try await connection.execute(sql: "TRUNCATE pg_temp.\(stage)", deadline: .now + timeout) }
                    let staged = try await connection.copyIn(sql: copy, data: buffer, deadline: .now + timeout)
                    Self.wipe(&buffer)
                    for round in rounds.indices {
                        written += try await connection.execute(upsert, parameters: [String(round)], deadline: .now + timeout).affected
                    }
                    logger.trace("bulk write chunk", metadata: ["store": "\(name)", "rows": "\(staged)", "rounds": "\(rounds.count)"])
                    start += chunk.count
                }
                _ = try await connection.execute(sql: "COMMIT", deadline: .now + timeout)
                return .written(written)
            } catch let failure {
                if !connection.isBroken { _ = try? await connection.execute(sql: "ROLLBACK", deadline: .now + timeout) }
                throw failure
            }
        }
        switch outcome {
        case .written(let count):
            return count
        case .refusedNUL:
            throw TokenStoreError(
                .invalidArgument, store: displayName, operation: operation, message: "PostgreSQL text cannot hold the NUL character")
        }
    }

    /// Zeroes and empties `buffer`, keeping its capacity for the next chunk.
    private static func wipe(_ buffer: inout [UInt8]) {
        buffer.withUnsafeMutableBytes { bytes in
            if let base = bytes.baseAddress { memset(base, 0, bytes.count) }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
