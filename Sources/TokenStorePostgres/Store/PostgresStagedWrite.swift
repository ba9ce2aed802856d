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

    init(upsert: PostgresStatements.StagedUpsert, chunkRows: Int, timeout: Duration, logger: Logger, store: String) {
        self.upsert = upsert
        self.chunkRows = chunkRows
        self.timeout = timeout
        self.logger = logger
        self.store = store
    }

    /// Writes `tokens` (their keys from `key`, their columns from `fields`) and returns the
    /// rows upserted. A failure rolls the transaction back before it is thrown.
    mutating func run<Token>(
        _ tokens: [Token], on connection: LibPQConnection, conflictSafe: Bool, key: (Token) -> [String],
        fields: (Token) -> [String?]
    ) async throws(LibPQFailure) -> Outcome {
        defer { Self.wipe(&buffer) }
        var written = 0
        var start = 0
        do throws(LibPQFailure) {
            while start < tokens.count {
                let chunk = tokens[start..<min(start + chunkRows, tokens.count)]
                let rounds = PostgresTokenStore.rounds(of: chunk.map(key))
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
                for round in rounds.indices {
                    script += (conflictSafe ? upsert.conflictSafeSQL(round: round) : upsert.sql(round: round)) + ";\n"
                }
                if chunk.endIndex == tokens.count { script += "COMMIT" }
                let outcomes = try await connection.runCopyScript(script, data: buffer, deadline: .now + timeout)
                Self.wipe(&buffer)
                for outcome in outcomes where outcome.command == "INSERT" || outcome.command == "UPDATE" { written += outcome.affected }
                let staged = outcomes.first { $0.command == "COPY" }?.affected ?? 0
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

    /// Zeroes and empties `buffer`, keeping its capacity for the next chunk.
    private static func wipe(_ buffer: inout [UInt8]) {
        buffer.withUnsafeMutableBytes { bytes in
            if let base = bytes.baseAddress { memset(base, 0, bytes.count) }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
