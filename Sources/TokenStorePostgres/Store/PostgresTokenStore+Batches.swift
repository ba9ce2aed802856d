import Foundation
import Logging
import TokenStoreKit

extension PostgresTokenStore {
    /// Rows staged and upserted at a time: the most a bulk call holds encoded, whatever
    /// the size of the batch it was given.
    static let bulkChunk = 5000

    /// Saves the batch in one transaction: each chunk of rows is sent with one `COPY` into
    /// a temporary staging table and upserted from there with one
    /// `INSERT ... SELECT ... ON CONFLICT` (per round of keys, below), in one script of
    /// two round trips per chunk.
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
            tokens, upsert: statement, operation: "saveAccessTokens",
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
            tokens, upsert: statements.saveRequestTokens, operation: "saveRequestTokens",
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

    /// Writes `tokens` chunk by chunk through `upsert`'s staging table, in one transaction,
    /// and sums the rows upserted.
    ///
    /// Each chunk is one script (two round trips): `BEGIN` (first chunk) or emptying the
    /// stage (later ones), the `COPY` of the chunk, an upsert per round of keys, and
    /// `COMMIT` after the last chunk.
    private func writeStaged<Token>(
        _ tokens: [Token], upsert: PostgresStatements.StagedUpsert, operation: String,
        key: (Token) -> [String], fields: (Token) -> [String?]
    ) async throws -> Int {
        let chunkRows = max(1, configuration.bulkChunkRows)
        let timeout = configuration.statementTimeout + .seconds(1)
        let logger = configuration.logger
        let name = displayName
        let outcome = try await withConnection(operation) { connection, deadline throws(LibPQFailure) -> StagedOutcome in
            if !connection.hasStagingTables {
                _ = try await connection.execute(sql: PostgresStatements.createStages, deadline: deadline)
                connection.hasStagingTables = true
            }
            // Encoded rows hold secrets: wiped after every COPY and on the way out.
            var buffer: [UInt8] = []
            defer { Self.wipe(&buffer) }
            var written = 0
            var start = 0
            do throws(LibPQFailure) {
                while start < tokens.count {
                    let chunk = tokens[start..<min(start + chunkRows, tokens.count)]
                    let rounds = Self.rounds(of: chunk.map(key))
                    for (round, indexes) in rounds.enumerated() {
                        for index in indexes {
                            let values = fields(chunk[chunk.startIndex + index])
                            guard !values.contains(where: { $0.map(PostgresRowCodec.hasNUL) == true }) else {
                                if start > 0 { _ = try await connection.execute(sql: "ROLLBACK", deadline: .now + timeout) }
                                return .refusedNUL
                            }
                            PostgresCopyText.appendRow(round: round, values, to: &buffer)
                        }
                    }
                    var script = start == 0 ? "BEGIN;\n" : "TRUNCATE pg_temp.\(upsert.stage);\n"
                    script += "COPY pg_temp.\(upsert.stage) FROM STDIN;\n"
                    for round in rounds.indices { script += upsert.sql(round: round) + ";\n" }
                    if chunk.endIndex == tokens.count { script += "COMMIT" }
                    let outcomes = try await connection.runCopyScript(script, data: buffer, deadline: .now + timeout)
                    Self.wipe(&buffer)
                    written += outcomes.lazy.filter { $0.command == "INSERT" }.reduce(0) { $0 + $1.affected }
                    let staged = outcomes.first { $0.command == "COPY" }?.affected ?? 0
                    logger.trace("bulk write chunk", metadata: ["store": "\(name)", "rows": "\(staged)", "rounds": "\(rounds.count)"])
                    start += chunk.count
                }
                return .written(written)
            } catch let failure {
                // A failed script leaves the transaction aborted (or, for the first chunk,
                // possibly not begun): ROLLBACK ends either.
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
