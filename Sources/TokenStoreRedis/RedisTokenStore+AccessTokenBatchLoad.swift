import Synchronization
import TokenStoreKit

/// What became of one chunk offered to ``RedisTokenStore/bulkLoad(_:_:operation:)``.
enum RedisBulkLoadOutcome {
    /// Written: every record, index entry and counter, in one transaction.
    case written
    /// Nothing written: some records (or index entries) exist, or counters are being
    /// rebuilt; the upsert script must decide per token.
    case stored
    /// Nothing written: the index or the rebuild cursor changed between the check and
    /// `EXEC` (another client created or deleted an access token of the store).
    case raced
    /// Nothing written: the chunk names a token twice, which only the script orders.
    case repeated
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

    /// Writes a chunk of access tokens none of which is stored yet without the upsert
    /// script, on one leased connection (`WATCH` is that connection's state, so no other
    /// call may use it in between):
    ///
    /// 1. `WATCH` the index and the counter rebuild cursor; `EXISTS` of the cursor and the
    ///    records; `ZMSCORE` of the index members. Anything there (a record, an index entry
    ///    left without its record, a rebuild in progress) leaves the chunk to the script,
    ///    which reads what is stored.
    /// 2. `MULTI`, one `HSET` per token with the fields the script writes for a new record
    ///    (its `created_at` included), one `ZADD` of the chunk's members, one `HINCRBY` per
    ///    provider, `EXEC`. If the index or cursor changed meanwhile, `EXEC` aborts (`nil`):
    ///    nothing was written and the script takes the chunk.
    ///
    /// The index stands for the records: every write of this driver that creates a record
    /// adds its index entry in the same atomic step, so a record created by anyone between
    /// the check and `EXEC` changed the index. (Watching each record instead costs Redis a
    /// scan of the connection's watched keys per key watched, quadratic in the chunk.) Any
    /// other new or deleted access token of the store aborts the chunk too, harmlessly.
    ///
    /// With no record stored, `ifNewer` and `overwrite` write the same. The connection
    /// never goes back to the pool watching keys: `EXEC` unwatches, and every other way
    /// out after `WATCH` sends `UNWATCH` (or the connection is closed after an I/O error).
    func bulkLoad(_ tokens: [AccessToken], _ requests: BulkLoadRequests, operation: String) async throws -> RedisBulkLoadOutcome {
        let chunk = tokens[requests.tokens]
        let probe = Self.bulkLoadProbe
        return try await withConnection(operation) { connection in
            let absent: Bool
            do {
                absent = try await connection.exchange({ out in out.append(encoded: requests.check, commands: requests.checkCommands) }) {
                    parser, _ in try self.decodeBulkLoadCheck(&parser, chunk, operation: operation)
                }
                if absent, let hook = probe?.beforeTransaction { try await hook() }
            } catch {
                await Self.unwatch(connection)
                throw error
            }
            guard absent else {
                await Self.unwatch(connection)
                return .stored
            }
            let committed = try await connection.exchange({ out in
                out.append(encoded: requests.transaction, commands: requests.transactionCommands)
            }) { parser, count in try self.decodeBulkLoadTransaction(&parser, count, chunk, operation: operation) }
            if committed { probe?.loaded.add(1, ordering: .relaxed) }
            return committed ? .written : .raced
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

    /// Whether nothing the check asked about exists.
    private func decodeBulkLoadCheck(
        _ parser: inout RESPParser, _ tokens: ArraySlice<AccessToken>, operation: String
    ) throws -> Bool {
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
        return found == 0 && !indexed
    }

    /// `MULTI`, an `HSET` per token, one `ZADD` of the members, an `HINCRBY` per provider,
    /// `EXEC`.
    private static func writeBulkLoadTransaction(_ out: inout RESPWriter, _ tokens: ArraySlice<AccessToken>, keys: RedisKeyLayout) {
        out.command(1)
        out.argument("MULTI")
        var perProvider: [String: Int] = [:]
        for token in tokens {
            perProvider[token.provider, default: 0] += 1
            writeNewRecord(&out, token, keys: keys)
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

    /// The `HSET` of a record that does not exist: the fields, in the order, the upsert
    /// script writes for it.
    private static func writeNewRecord(_ out: inout RESPWriter, _ token: AccessToken, keys: RedisKeyLayout) {
        out.command(14 + optionalFieldArguments(token))
        out.argument("HSET")
        keys.writeAccessTokenKey(token.key, to: &out)
        out.argument("created_at")
        out.argument(TokenTimestamp.milliseconds(token.createdAt))
        out.argument("provider")
        out.argument(token.provider)
        out.argument("user_id")
        out.argument(token.userID)
        out.argument("token")
        out.argument(token.token)
        out.argument("secret")
        out.argument(token.secret)
        out.argument("updated_at")
        out.argument(TokenTimestamp.milliseconds(token.updatedAt))
        if let value = token.screenName {
            out.argument("screen_name")
            out.argument(value)
        }
        if let value = token.accessType {
            out.argument("access_type")
            out.argument(value)
        }
        for (name, value) in token.metadata.sorted(by: { $0.key < $1.key }) {
            out.argument("m:" + name)
            out.argument(value)
        }
    }

    /// Whether `EXEC` ran (`false`: a watched key changed, nothing was written). Any error
    /// reply is thrown: a command refused while queued (`EXECABORT`, nothing written) or
    /// failing in `EXEC` (as when the upsert script fails part-way).
    private func decodeBulkLoadTransaction(
        _ parser: inout RESPParser, _ count: Int, _ tokens: ArraySlice<AccessToken>, operation: String
    ) throws -> Bool {
        let record = Self.describe(tokens)
        for _ in 0..<(count - 1) {
            let reply = parser.reply()
            if reply.errorMessage != nil { throw unexpected(operation, reply, record: record) }
        }
        guard let results = parser.arrayHeader() else {
            throw unexpected(operation, parser.reply(), record: record)
        }
        if results < 0 { return false }
        for _ in 0..<results {
            let reply = parser.reply()
            if reply.errorMessage != nil { throw unexpected(operation, reply, record: record) }
        }
        return true
    }
}

// Hook for this package's tests: keys with bytes that are not UTF-8 (a provider's NUL is
// written as NUL 0xFF).
extension RedisTokenStore {
    /// Sends one command of raw arguments with the store's pool and returns the reply.
    package func rawCommand(bytes arguments: [[UInt8]]) async throws -> RedisReply {
        try await withConnection("rawCommand") { connection in
            try await connection.command { out in
                out.command(arguments.count)
                for argument in arguments { out.argument(argument) }
            }
        }
    }
}
