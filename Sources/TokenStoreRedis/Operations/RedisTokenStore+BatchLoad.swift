import Synchronization
import TokenStoreKit

/// Where and why a run of ``RedisTokenStore/bulkLoad(_:from:operation:keys:)`` stopped.
struct RedisBulkLoadRun {
    /// Why the chunk at ``stoppedAt`` was not written by the run.
    enum Reason {
        /// No chunk left, or the one left is too small for a transaction to pay.
        case end
        /// Some of its records (or index entries) exist, or counters are being rebuilt:
        /// the upsert script must decide per token.
        case stored
        /// The index or the rebuild cursor changed between the check and `EXEC` (another
        /// client created or deleted an access token of the store); nothing of it was written.
        case raced
        /// It names a token twice, which only the script orders.
        case repeated
        /// A cluster node redirected its check or its transaction (`MOVED`, `ASK`,
        /// `TRYAGAIN`, `CLUSTERDOWN`: the slot moved, or is moving); nothing of it was
        /// written. The script path follows redirects, the bulk load does not: `WATCH`
        /// holds on the connection that sent it.
        case redirected
    }

    /// Tokens written by the run, all of the chunks before ``stoppedAt``.
    var written: Int
    /// The index of the first token the run did not write.
    var stoppedAt: Int
    var reason: Reason
}

/// Counts what ``RedisTokenStore`` bulk saves did and lets a test act between the check
/// and the transaction; set through ``RedisTokenStore/bulkLoadProbe`` (tests only).
package final class RedisBulkLoadProbe: Sendable {
    /// Chunks written by `MULTI`/`EXEC` without the script.
    package let loaded = Atomic<Int>(0)
    /// Chunks offered to the transaction that went to the script instead.
    package let fallbacks = Atomic<Int>(0)
    /// Always use the script (to compare what both ways write).
    package let scriptOnly: Bool
    /// Runs after the check found none of the chunk's records stored, before `MULTI`.
    package let beforeTransaction: (@Sendable () async throws -> Void)?

    package init(scriptOnly: Bool = false, beforeTransaction: (@Sendable () async throws -> Void)? = nil) {
        self.scriptOnly = scriptOnly
        self.beforeTransaction = beforeTransaction
    }
}

extension RedisTokenStore {
    /// The probe of the current task's bulk saves, if a test set one.
    @TaskLocal package static var bulkLoadProbe: RedisBulkLoadProbe?

    /// A chunk's two requests for ``bulkLoad(_:_:operation:)``, encoded ahead (while the
    /// server runs the previous chunk).
    struct BulkLoadRequests: Sendable {
        let tokens: Range<Int>
        let check: [UInt8]
        let checkCommands: Int
        let transaction: [UInt8]
        let transactionCommands: Int
    }

    /// Encodes both requests of `tokens[range]`, or `nil` when the chunk names a token twice
    /// (only the script orders two writes of one record).
    static func encodeBulkLoad(_ tokens: [AccessToken], _ range: Range<Int>, keys: RedisKeyLayout) -> BulkLoadRequests? {
        let chunk = tokens[range]
        var seen = Set<AccessTokenKey>(minimumCapacity: chunk.count)
        for token in chunk where !seen.insert(token.key).inserted { return nil }
        var check = RESPWriter(capacity: 64 * chunk.count)
        writeBulkLoadCheck(&check, chunk, keys: keys)
        var transaction = RESPWriter(capacity: 384 * chunk.count)
        writeBulkLoadTransaction(&transaction, chunk, keys: keys)
        return BulkLoadRequests(
            tokens: range, check: check.bytes, checkCommands: check.commandCount, transaction: transaction.bytes,
            transactionCommands: transaction.commandCount)
    }

    /// Writes consecutive chunks of access tokens of one bucket (`keys`) none of which is
    /// stored yet, from `tokens[start]` on, without the upsert script, on one leased connection (`WATCH` is
    /// that connection's state, so no other call may use it in between). Per chunk:
    ///
    /// 1. `WATCH` the index and the counter rebuild cursor; `EXISTS` of the cursor and the
    ///    records; `ZMSCORE` of the index members. Anything there (a record, an index entry
    ///    left without its record, a rebuild in progress) stops the run: the caller gives
    ///    the chunk to the script, which reads what is stored.
    /// 2. `MULTI`, one `HSET` per token with the fields the script writes for a new record
    ///    (its `created_at` included), one `ZADD` of the chunk's members, one `HINCRBY` per
    ///    provider, `EXEC`. If the index or cursor changed meanwhile, `EXEC` aborts (`nil`):
    ///    nothing of the chunk was written and the run stops there.
    ///
    /// The next chunk's check travels behind the current chunk's `EXEC`, in the same round
    /// trip, so the server goes from one chunk to the next without waiting for the client;
    /// the chunk after that is encoded while the server runs them.
    ///
    /// The index stands for the records: every write of this driver that creates a record
    /// adds its index entry in the same atomic step, so a record created by anyone between
    /// the check and `EXEC` changed the index. (Watching each record instead costs Redis a
    /// scan of the connection's watched keys per key watched, quadratic in the chunk.) Any
    /// other new or deleted access token of the store aborts the chunk too, harmlessly.
    ///
    /// In a cluster, when a node redirects a chunk's check or its transaction (`MOVED`,
    /// `ASK`, `TRYAGAIN`, `CLUSTERDOWN`), the run ends with nothing of that chunk written (a
    /// redirected queued command aborts `EXEC`): the caller sends the chunk through the
    /// script, whose calls follow redirects.
    ///
    /// With no record stored, `ifNewer` and `overwrite` write the same. The connection
    /// never goes back to the pool watching keys: `EXEC` unwatches, and every other way
    /// out after a `WATCH` sends `UNWATCH` (or the connection is closed after an I/O error).
    func bulkLoad(_ tokens: [AccessToken], from start: Int, operation: String, keys: RedisKeyLayout) async throws -> RedisBulkLoadRun {
        let probe = Self.bulkLoadProbe
        /// The chunk from `index`, encoded, or `nil` when it is too small to offer.
        func chunk(from index: Int) -> Range<Int>? {
            let range = index..<min(index + Self.tokensPerUpsertRoundTrip, tokens.count)
            return range.count >= Self.tokensPerUpsertCall ? range : nil
        }
        guard let first = chunk(from: start) else { return RedisBulkLoadRun(written: 0, stoppedAt: start, reason: .end) }
        guard var current = Self.encodeBulkLoad(tokens, first, keys: keys) else {
            return RedisBulkLoadRun(written: 0, stoppedAt: start, reason: .repeated)
        }
        func load(_ connection: HiredisConnection) async throws -> RedisBulkLoadRun {
            var run = RedisBulkLoadRun(written: 0, stoppedAt: start, reason: .end)
            do {
                var check = try await connection.exchange({ out in out.append(encoded: current.check, commands: current.checkCommands) }) {
                    parser, _ in try self.decodeBulkLoadCheck(&parser, tokens[current.tokens], operation: operation)
                }
                // The next chunk, encoded while the server ran the one before it; `nil`
                // inside when it names a token twice.
                var next: BulkLoadRequests?? = chunk(from: current.tokens.upperBound).map { Self.encodeBulkLoad(tokens, $0, keys: keys) }
                while true {
                    guard check == .absent else {
                        await Self.unwatch(connection)
                        run.reason = check == .redirected ? .redirected : .stored
                        return run
                    }
                    if let hook = probe?.beforeTransaction { try await hook() }
                    let transaction = current
                    let following = next ?? nil
                    // Encodes the chunk after `following` while the server runs both.
                    async let afterNext = following.flatMap { chunk(from: $0.tokens.upperBound) }.map {
                        Self.encodeBulkLoad(tokens, $0, keys: keys)
                    }
                    let (commit, followingCheck) = try await connection.exchange({ out in
                        out.append(encoded: transaction.transaction, commands: transaction.transactionCommands)
                        if let following { out.append(encoded: following.check, commands: following.checkCommands) }
                    }) { parser, _ in
                        let commit = try self.decodeBulkLoadTransaction(
                            &parser, transaction.transactionCommands, tokens[transaction.tokens], operation: operation)
                        // Behind an aborted transaction the check is not read: the run stops.
                        guard commit == .committed else { return (commit, nil as BulkLoadCheck?) }
                        let check = try following.map { try self.decodeBulkLoadCheck(&parser, tokens[$0.tokens], operation: operation) }
                        return (commit, check)
                    }
                    let encoded = await afterNext
                    guard commit == .committed else {
                        // The following chunk's WATCH came after the aborted EXEC.
                        if following != nil { await Self.unwatch(connection) }
                        run.reason = commit == .redirected ? .redirected : .raced
                        return run
                    }
                    probe?.loaded.add(1, ordering: .relaxed)
                    run.written += transaction.tokens.count
                    run.stoppedAt = transaction.tokens.upperBound
                    guard let following, let followingCheck else {
                        // Nothing more to offer, or the next chunk names a token twice.
                        run.reason = next == nil ? .end : .repeated
                        return run
                    }
                    current = following
                    check = followingCheck
                    next = encoded
                }
            } catch {
                await Self.unwatch(connection)
                throw error
            }
        }
        return try await withConnection(operation, slot: keys.slot) { connection in
            let run = try await load(connection)
            // One WAIT covers every chunk this connection committed.
            if run.written > 0 { try await waitForReplicas(on: connection, operation: operation) }
            return run
        }
    }

    /// Drops the connection's watched keys, unless an I/O error already condemned it.
    private static func unwatch(_ connection: HiredisConnection) async {
        guard !connection.isBroken else { return }
        _ = try? await connection.command { out in
            out.command(1)
            out.argument("UNWATCH")
        }
    }

    /// `WATCH index cursor`, `EXISTS cursor records...`, `ZMSCORE index members...`.
    private static func writeBulkLoadCheck(_ out: inout RESPWriter, _ tokens: ArraySlice<AccessToken>, keys: RedisKeyLayout) {
        out.command(3)
        out.argument("WATCH")
        out.argument(keys.accessIndex)
        out.argument(keys.accessCountCursor)
        out.command(2 + tokens.count)
        out.argument("EXISTS")
        out.argument(keys.accessCountCursor)
        for token in tokens { keys.writeAccessTokenKey(token.key, to: &out) }
        out.command(2 + tokens.count)
        out.argument("ZMSCORE")
        out.argument(keys.accessIndex)
        for token in tokens { RedisKeyLayout.writeMember(of: token.key, to: &out) }
    }

    /// What a chunk's check found.
    enum BulkLoadCheck {
        /// Nothing the check asked about exists: the transaction may write the chunk.
        case absent
        /// A record, an index entry or the rebuild cursor exists.
        case present
        /// A cluster node redirected the check (see ``RedisBulkLoadRun/Reason/redirected``).
        case redirected
    }

    /// How a chunk's `MULTI`/`EXEC` ended.
    enum BulkLoadCommit {
        /// `EXEC` ran: the chunk is written.
        case committed
        /// A watched key changed: `EXEC` wrote nothing.
        case raced
        /// A cluster node refused a queued command with a redirect: `EXEC` aborted
        /// (`EXECABORT`), nothing written.
        case redirected
    }

    /// What the check's replies say.
    private func decodeBulkLoadCheck(
        _ parser: inout RESPParser, _ tokens: ArraySlice<AccessToken>, operation: String
    ) throws -> BulkLoadCheck {
        // The check's three commands: `WATCH`, `EXISTS`, `ZMSCORE`.
        if parser.repliesIfRedirected(3) != nil { return .redirected }
        let record = Self.describe(tokens)
        let watch = parser.reply()
        guard case .status = watch else { throw unexpected(operation, watch, record: record) }
        let exists = parser.reply()
        guard case .integer(let found) = exists else { throw unexpected(operation, exists, record: record) }
        guard let count = parser.arrayHeader(), count == tokens.count else {
            throw unexpected(operation, parser.reply(), record: record)
        }
        var indexed = false
        for _ in 0..<count {
            guard let score = parser.bulk() else { throw unexpected(operation, parser.reply(), record: record) }
            if score != nil { indexed = true }
        }
        return found == 0 && !indexed ? .absent : .present
    }

    /// `MULTI`, an `HSET` per token, one `ZADD` of the members, an `HINCRBY` per provider,
    /// `EXEC`.
    private static func writeBulkLoadTransaction(_ out: inout RESPWriter, _ tokens: ArraySlice<AccessToken>, keys: RedisKeyLayout) {
        out.command(1)
        out.argument("MULTI")
        var perProvider: [String: Int] = [:]
        for token in tokens {
            perProvider[token.provider, default: 0] += 1
            RedisRecordCodec.writeNewRecord(token, keys: keys, to: &out)
        }
        out.command(2 + 2 * tokens.count)
        out.argument("ZADD")
        out.argument(keys.accessIndex)
        for token in tokens {
            out.argument("0")
            RedisKeyLayout.writeMember(of: token.key, to: &out)
        }
        for (provider, count) in perProvider {
            out.command(4)
            out.argument("HINCRBY")
            out.argument(keys.accessCounts)
            out.argument(RedisKeyLayout.counterField(ofProvider: provider))
            out.argument(count)
        }
        out.command(1)
        out.argument("EXEC")
    }

    /// How the chunk's transaction ended. Any error reply other than a redirect is thrown:
    /// a command refused while queued (`EXECABORT`, nothing written) or failing in `EXEC`
    /// (as when the upsert script fails part-way).
    private func decodeBulkLoadTransaction(
        _ parser: inout RESPParser, _ count: Int, _ tokens: ArraySlice<AccessToken>, operation: String
    ) throws -> BulkLoadCommit {
        if parser.repliesIfRedirected(count) != nil { return .redirected }
        let record = Self.describe(tokens)
        for _ in 0..<(count - 1) {
            let reply = parser.reply()
            if reply.errorMessage != nil { throw unexpected(operation, reply, record: record) }
        }
        guard let results = parser.arrayHeader() else {
            throw unexpected(operation, parser.reply(), record: record)
        }
        if results < 0 { return .raced }
        for _ in 0..<results {
            let reply = parser.reply()
            if reply.errorMessage != nil { throw unexpected(operation, reply, record: record) }
        }
        return .committed
    }
}
