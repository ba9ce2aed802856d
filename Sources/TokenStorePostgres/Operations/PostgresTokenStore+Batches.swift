import Foundation
import Logging
import Synchronization
import TokenStoreKit

extension PostgresTokenStore {
    /// Rows staged and upserted at a time: the most a bulk call holds encoded, whatever
    /// the size of the batch it was given.
    static let bulkChunk = 5000

    /// Saves the batch in one transaction, a chunk of rows at a time, each chunk one
    /// script of two round trips (see `PostgresStagedWrite`): a `COPY` straight into the
    /// table while none of the call's keys exist, else a `COPY` into a temporary staging
    /// table and an upsert from there per round of keys (below).
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
            key: { PostgresRecordCodec.key($0) }, fields: { PostgresRecordCodec.parameters($0) })
    }

    /// Saves the batch like ``saveAccessTokens(_:policy:)``, with the single save's rules:
    /// a new key's version is 1, every write of a stored one adds one (a key given twice
    /// is written twice, in turns), `createdAt` is kept and a refresh lease left alone.
    ///
    /// - Returns: how many token sets were written (`.ifNewer` skips those not newer).
    @discardableResult
    public func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy) async throws -> Int {
        guard !tokenSets.isEmpty else {
            try schemaGate.check(store: displayName, operation: "saveTokenSets")
            return 0
        }
        let statement = policy == .overwrite ? statements.saveTokenSetsOverwrite : statements.saveTokenSetsIfNewer
        return try await writeStaged(
            tokenSets, upsert: statement, operation: "saveTokenSets",
            key: { PostgresRecordCodec.key($0) }, fields: { PostgresRecordCodec.parameters($0) })
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
            key: { PostgresRecordCodec.key($0) }, fields: { PostgresRecordCodec.parameters($0) })
    }

    /// How many times a bulk save is run when the server rolls it back to break a deadlock
    /// or a serialization conflict (40P01, 40001): only writes of several chunks whose keys
    /// other writers hold in another order can meet one again.
    static let bulkAttempts = 5

    /// A failure after which the server rolled the transaction back and running it again
    /// may succeed: a deadlock or a serialization failure.
    static func isTransactionConflict(_ failure: LibPQFailure) -> Bool {
        failure.sqlState == "40P01" || failure.sqlState == "40001"
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

    /// Writes `tokens` chunk by chunk through `upsert`'s staging table, in one transaction,
    /// and sums the rows upserted (see `PostgresStagedWrite`).
    private func writeStaged<Token>(
        _ tokens: [Token], upsert: PostgresStatements.StagedUpsert, operation: String,
        key: (Token) -> [String], fields: (Token) -> [String?]
    ) async throws -> Int {
        let timeout = configuration.operationTimeout + .seconds(1)
        // Copying straight in is tried while the last bulk call met no existing key: a
        // call that would fail it (a second run, a resume) skips the wasted COPY.
        let tryDirect = bulkKeysLikelyNew.load(ordering: .relaxed)
        var write = PostgresStagedWrite(
            upsert: upsert, chunkRows: max(1, configuration.bulkChunkRows), timeout: timeout, logger: configuration.logger,
            store: displayName)
        let outcome = try await withConnection(operation) { connection, deadline throws(LibPQFailure) in
            if !connection.hasStagingTables {
                _ = try await connection.execute(sql: PostgresStatements.createStages, deadline: deadline)
                connection.hasStagingTables = true
            }
            var conflictSafe = bulkWritesContend.load(ordering: .relaxed)
            var attempt = 1
            while true {
                do throws(LibPQFailure) {
                    return try await write.run(
                        tokens, on: connection, tryDirect: tryDirect && !conflictSafe, conflictSafe: conflictSafe, key: key, fields: fields)
                } catch let failure where failure.sqlState == "23505" && !conflictSafe {
                    // Another writer inserted one of the keys between a round's UPDATE and
                    // its INSERT; the transaction was rolled back: run it again the safe way.
                    conflictSafe = true
                } catch let failure where Self.isTransactionConflict(failure) && attempt < Self.bulkAttempts {
                    // The server broke a deadlock with another writer by rolling this
                    // transaction back, nothing of it written. The fast path's UPDATE locks
                    // rows in whatever order its plan scans them; the safe path locks them
                    // in key order, so it cannot deadlock with another safe write of one
                    // chunk. Once a store has deadlocked it keeps to the safe path.
                    bulkWritesContend.store(true, ordering: .relaxed)
                    configuration.logger.notice(
                        "bulk write rolled back by the server, written again in key order",
                        metadata: ["store": "\(displayName)", "sqlstate": "\(failure.sqlState ?? "")", "attempt": "\(attempt)"])
                    conflictSafe = true
                    attempt += 1
                }
            }
        }
        bulkKeysLikelyNew.store(!write.foundKeys, ordering: .relaxed)
        switch outcome {
        case .written(let count):
            return count
        case .refusedNUL:
            throw TokenStoreError(
                .invalidArgument, store: displayName, operation: operation, message: "PostgreSQL text cannot hold the NUL character")
        }
    }
}
