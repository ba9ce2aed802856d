import Foundation
import Logging

/// One bulk save on a leased connection: chunks of rows staged with `COPY` and upserted
/// from the staging table, all in one transaction.
///
/// Each chunk is one simple-query script (two round trips): `BEGIN` (first chunk) or
/// emptying the stage (later ones), the `COPY` of the chunk, an upsert per round of keys
/// (``PostgresStatements/StagedUpsert``), and `COMMIT` after the last chunk. Only one
/// chunk is encoded at a time, so memory stays bounded whatever the batch size.
struct PostgresStagedWrite {
    /// What a staged write ended with.
    enum Outcome: Sendable {
        case written(Int)
        /// A value held NUL (PostgreSQL text cannot); nothing was written.
        case refusedNUL
    }

    let upsert: PostgresStatements.StagedUpsert
    let chunkRows: Int
    let timeout: Duration
    let logger: Logger
    let store: String
    /// The encoded chunk. It holds secrets: wiped after every `COPY` and on the way out.
    private var buffer: [UInt8] = []
    /// Whether ``run(_:on:tryDirect:conflictSafe:key:fields:)`` met a key already in the
    /// table (so the next call had better not try copying straight in).
    private(set) var foundKeys = false

    init(upsert: PostgresStatements.StagedUpsert, chunkRows: Int, timeout: Duration, logger: Logger, store: String) {
        self.upsert = upsert
        self.chunkRows = chunkRows
        self.timeout = timeout
        self.logger = logger
        self.store = store
    }

    /// Writes `tokens` (their keys from `key`, their columns from `fields`) and returns the
    /// rows upserted. A failure rolls the transaction back before it is thrown.
    ///
    /// With `tryDirect`, while no key of the call was found in the table, a chunk without
    /// repeated keys is first copied straight into the table under a savepoint: when none
    /// of its keys exist (a migration into an empty store), that is the whole upsert at
    /// the cost of a plain `COPY`. A unique violation rolls back to the savepoint and the
    /// chunk, and the rest of the call, go through the staging table.
    mutating func run<Token>(
        _ tokens: [Token], on connection: LibPQConnection, tryDirect: Bool, conflictSafe: Bool, key: (Token) -> [String],
        fields: (Token) -> [String?]
    ) async throws(LibPQFailure) -> Outcome {
        defer { Self.wipe(&buffer) }
        var written = 0
        var start = 0
        var inTransaction = false
        var tryDirect = tryDirect && !conflictSafe
        foundKeys = conflictSafe
        do throws(LibPQFailure) {
            while start < tokens.count {
                let chunk = tokens[start..<min(start + chunkRows, tokens.count)]
                let rounds = PostgresTokenStore.rounds(of: chunk.map(key))
                let last = chunk.endIndex == tokens.count
                if tryDirect, rounds.count == 1 {
                    guard encode(chunk, rounds: nil, fields: fields) else {
                        if inTransaction { _ = try await connection.execute(sql: "ROLLBACK", deadline: .now + timeout) }
                        return .refusedNUL
                    }
                    let script = (inTransaction ? "" : "BEGIN;\n") + "SAVEPOINT ts_direct;\n\(upsert.directCopy);\n"
                        + "RELEASE SAVEPOINT ts_direct;\n" + (last ? "COMMIT" : "")
                    do throws(LibPQFailure) {
                        let outcomes = try await connection.runCopyScript(script, data: buffer, deadline: .now + timeout)
                        Self.wipe(&buffer)
                        inTransaction = true
                        let copied = outcomes.first { $0.command == "COPY" }?.affected ?? 0
                        written += copied
                        logger.trace("bulk write chunk", metadata: ["store": "\(store)", "rows": "\(copied)", "rounds": "1", "direct": "true"])
                        start += chunk.count
                        continue
                    } catch let failure where failure.sqlState == "23505" {
                        // A key exists: this chunk and the rest go through the stage.
                        Self.wipe(&buffer)
                        inTransaction = true
                        tryDirect = false
                        foundKeys = true
                        _ = try await connection.execute(sql: "ROLLBACK TO SAVEPOINT ts_direct", deadline: .now + timeout)
                    }
                }
                guard encode(chunk, rounds: rounds, fields: fields) else {
                    if inTransaction { _ = try await connection.execute(sql: "ROLLBACK", deadline: .now + timeout) }
                    return .refusedNUL
                }
                var script = inTransaction ? "TRUNCATE pg_temp.\(upsert.stage);\n" : "BEGIN;\n"
                script += "COPY pg_temp.\(upsert.stage) FROM STDIN;\n"
                for round in rounds.indices {
                    script += (conflictSafe ? upsert.conflictSafeSQL(round: round) : upsert.sql(round: round)) + ";\n"
                }
                if last { script += "COMMIT" }
                let outcomes = try await connection.runCopyScript(script, data: buffer, deadline: .now + timeout)
                Self.wipe(&buffer)
                inTransaction = true
                for outcome in outcomes where outcome.command == "INSERT" || outcome.command == "UPDATE" { written += outcome.affected }
                let staged = outcomes.first { $0.command == "COPY" }?.affected ?? 0
                // Rows the INSERTs did not add had their key in the table already.
                let inserted = outcomes.lazy.filter { $0.command == "INSERT" }.reduce(0) { $0 + $1.affected }
                if inserted < staged { foundKeys = true }
                logger.trace("bulk write chunk", metadata: ["store": "\(store)", "rows": "\(staged)", "rounds": "\(rounds.count)"])
                start += chunk.count
            }
            return .written(written)
        } catch let failure {
            // A failed script leaves the transaction aborted (or, in the first chunk,
            // perhaps not begun): ROLLBACK ends either.
            if !connection.isBroken { _ = try? await connection.execute(sql: "ROLLBACK", deadline: .now + timeout) }
            throw failure
        }
    }

    /// Encodes `chunk` into ``buffer``: in `rounds` order with the round first, or as
    /// given without one. `false` when a value holds NUL (nothing is left encoded).
    private mutating func encode<Token>(_ chunk: ArraySlice<Token>, rounds: [[Int]]?, fields: (Token) -> [String?]) -> Bool {
        func append(_ token: Token, round: Int?) -> Bool {
            let values = fields(token)
            guard !values.contains(where: { $0.map(PostgresRecordCodec.hasNUL) == true }) else { return false }
            PostgresCopyText.appendRow(round: round, values, to: &buffer)
            return true
        }
        var encoded = true
        if let rounds {
            for (round, indexes) in rounds.enumerated() {
                for index in indexes where encoded { encoded = append(chunk[chunk.startIndex + index], round: round) }
            }
        } else {
            for token in chunk where encoded { encoded = append(token, round: nil) }
        }
        if !encoded { Self.wipe(&buffer) }
        return encoded
    }

    /// Zeroes and empties `buffer`, keeping its capacity for the next chunk.
    private static func wipe(_ buffer: inout [UInt8]) {
        buffer.withUnsafeMutableBytes { bytes in
            if let base = bytes.baseAddress { memset(base, 0, bytes.count) }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
