import Synchronization
import Logging
import TokenStoreKit

extension RedisTokenStore {
    /// The largest page fetched from Redis at once; bigger limits return shorter pages
    /// with a cursor.
    static let maxPage = 1000

    /// Saves the record with `SET ... PX` (expiry relative to the store's clock) and adds
    /// it to both request-token indexes, in one `MULTI`/`EXEC`.
    public func saveRequestToken(_ token: RequestToken) async throws {
        let keys = layout.keys(forRequestToken: token.token)
        let expires = TokenTimestamp.milliseconds(token.expiresAt)
        // The server expires the record relative to the store's clock, so a manual clock
        // and the server agree on how long the token has left.
        let timeToLive = max(1, expires - nowMilliseconds())
        let record = RedisRecordCodec.encode(token)
        let replies = try await roundTrip("saveRequestToken", slot: keys.slot, writes: true) { out in
            out.command(1)
            out.argument("MULTI")
            Self.appendSave(token, record: record, expires: expires, timeToLive: timeToLive, keys: keys, to: &out)
            out.command(1)
            out.argument("EXEC")
        }
        try checkTransaction(replies, operation: "saveRequestToken", record: "request token \(token.token)")
    }

    /// Appends the three commands that save one request token: `SET ... PX` and both index
    /// entries (inside the caller's `MULTI`).
    static func appendSave(
        _ token: RequestToken, record: [UInt8], expires: Int64, timeToLive: Int64, keys: RedisKeyLayout, to out: inout RESPWriter
    ) {
        out.command(5)
        out.argument("SET")
        out.argument(keys.requestTokenPrefix, token.token)
        out.argument(record)
        out.argument("PX")
        out.argument(timeToLive)
        out.command(4)
        out.argument("ZADD")
        out.argument(keys.requestExpiryIndex)
        out.argument(expires)
        out.argument(token.token)
        out.command(4)
        out.argument("ZADD")
        out.argument(keys.requestLexIndex)
        out.argument("0")
        out.argument(token.token)
    }

    /// Takes the token atomically: `GETDEL` plus index removal in `MULTI`/`EXEC` on Redis
    /// 6.2+, a Lua script before that. Returns `nil` for a token expired by the store's clock.
    ///
    /// A record that names another token than `oauthToken` (copied or renamed onto this
    /// key by hand) is `corruptedRecord` and is never returned: its secret belongs to
    /// another token. The take still consumes it, because the delete is the same atomic
    /// step as the read (putting it back would be a second, racy write) and no take can
    /// reach it anyway: takes find records by their key, and the token it names has its
    /// own. A record that cannot be decoded is consumed and reported the same way.
    public func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        let operation = "takeRequestToken"
        var record: String { "request token \(oauthToken)" }
        let keys = layout.keys(forRequestToken: oauthToken)
        let value: RedisReply
        if usesGetDel {
            let read = try await roundTrip(operation, slot: keys.slot, writes: true) { out in
                Self.writeTakeTransaction(&out, oauthToken, keys: keys)
            } decode: { parser, count in
                parser.takenRequestToken(count, expecting: oauthToken)
            }
            let replies: [RedisReply]
            switch read {
            case .missing:
                return nil
            case .record(let decoded):
                let token: RequestToken
                do {
                    token = try decoded.get()
                } catch {
                    throw corruptRequestToken(error, operation: operation, record: record)
                }
                return token.isExpired(at: configuration.clock.now()) ? nil : token
            case .replies(let copied):
                replies = copied
            }
            if let message = replies[1].errorMessage, message.lowercased().contains("unknown command") {
                // The server was replaced by one older than 6.2: use the script from now on.
                state.withLock { $0.hasGetDel = false }
                logger.notice("redis server lacks GETDEL; taking request tokens with a Lua script", metadata: ["store": "\(displayName)"])
                return try await takeRequestToken(oauthToken)
            }
            try checkTransaction(replies, operation: operation, record: record)
            guard case .array(let results) = replies[4], results.count == 3 else { throw unexpected(operation, replies[4], record: record) }
            value = results[0]
        } else {
            value = try await evalScript(
                1, operation: operation, record: record, slot: keys.slot, writes: true,
                keys: [keys.requestTokenKey(oauthToken), keys.requestExpiryIndex, keys.requestLexIndex],
                arguments: [Array(oauthToken.utf8)])
        }
        switch value {
        case .null:
            return nil
        case .bulk(let bytes):
            let token = try decodeRequestToken(bytes, expecting: oauthToken, operation: operation, record: record)
            // The server may not have expired it yet (or the store's clock runs ahead of
            // the server's): expiry is decided by the store's clock.
            return token.isExpired(at: configuration.clock.now()) ? nil : token
        default:
            throw unexpected(operation, value, record: record)
        }
    }

    private static func writeTakeTransaction(_ out: inout RESPWriter, _ token: String, keys: RedisKeyLayout) {
        out.command(1)
        out.argument("MULTI")
        out.command(2)
        out.argument("GETDEL")
        out.argument(keys.requestTokenPrefix, token)
        out.command(3)
        out.argument("ZREM")
        out.argument(keys.requestExpiryIndex)
        out.argument(token)
        out.command(3)
        out.argument("ZREM")
        out.argument(keys.requestLexIndex)
        out.argument(token)
        out.command(1)
        out.argument("EXEC")
    }

    /// Pages through the lexicographic indexes (`ZRANGEBYLEX`; in a spread store, merged
    /// over the buckets in token order, see `RedisIndexMerge`), skipping expired tokens.
    /// The cursor is the last token returned: the next page starts after it in every bucket.
    public func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        let operation = "listRequestTokens"
        try checkLimit(limit, operation)
        let pageSize = min(limit, Self.maxPage)
        let now = configuration.clock.now()
        let layout = self.layout
        var merge = RedisIndexMerge(
            operation, indexes: layout.buckets.map { ($0.requestLexIndex, $0.slot) }, after: cursor.map { Array($0.utf8) },
            chunk: Self.mergeChunk(pageSize: pageSize, buckets: layout.count))
        var collected: [RequestToken] = []
        while true {
            let batch = pageSize + 1 - collected.count
            var members: [(bucket: Int, member: [UInt8])] = []
            while members.count < batch, let next = try await merge.next(self) { members.append(next) }
            if members.isEmpty { break }
            let items = try await requestRecords(members, layout: layout, operation: operation)
            for ((_, member), item) in zip(members, items) {
                guard case .bulk(let bytes) = item else { continue }
                let name = String(decoding: member, as: UTF8.self)
                let token = try decodeRequestToken(bytes, expecting: name, operation: operation, record: "request token \(name)")
                if !token.isExpired(at: now) { collected.append(token) }
            }
            if collected.count > pageSize {
                let page = Array(collected.prefix(pageSize))
                return RequestTokenPage(tokens: page, nextCursor: page.last?.token)
            }
            if members.count < batch { break }
        }
        return RequestTokenPage(tokens: collected, nextCursor: nil)
    }

    /// The records of `members` (`MGET`, one per bucket), in their order; `.null` for a
    /// record gone since its index entry was read.
    private func requestRecords(
        _ members: [(bucket: Int, member: [UInt8])], layout: RedisStoreLayout, operation: String
    ) async throws -> [RedisReply] {
        var positions = [[Int]](repeating: [], count: layout.count)
        for (position, entry) in members.enumerated() { positions[entry.bucket].append(position) }
        let groups = positions.enumerated().compactMap { bucket, list in
            list.isEmpty ? nil : (keys: layout.buckets[bucket], positions: list, members: list.map { members[$0].member })
        }
        let replies = try await concurrently(groups) { group in
            let keys = group.keys
            let values = try await self.roundTripCommand(operation, slot: keys.slot) { out in
                out.command(1 + group.members.count)
                out.argument("MGET")
                for member in group.members { out.argument(keys.requestTokenPrefix + member) }
            }
            guard case .array(let items) = values, items.count == group.members.count else { throw self.unexpected(operation, values) }
            try await self.checkMissingRequestKeys(
                zip(group.members, items).compactMap { member, item in item == .null ? member : nil }, keys: keys, operation: operation)
            return items
        }
        var items = [RedisReply](repeating: .null, count: members.count)
        for (group, values) in zip(groups, replies) {
            for (position, value) in zip(group.positions, values) { items[position] = value }
        }
        return items
    }

    /// `MGET` answers nil both for a key that expired or was taken since the index was read
    /// (skipped: the index is pruned lazily) and for a key holding another Redis type, a
    /// record damaged behind the store's back that a listing must not pass over in silence.
    /// One `EXISTS` tells them apart; only when something is there is each key's `TYPE` read.
    private func checkMissingRequestKeys(_ members: [[UInt8]], keys: RedisKeyLayout, operation: String) async throws {
        guard !members.isEmpty else { return }
        let present = try await roundTripCommand(operation, slot: keys.slot) { out in
            out.command(1 + members.count)
            out.argument("EXISTS")
            for member in members { out.argument(keys.requestTokenPrefix + member) }
        }
        guard case .integer(let count) = present else { throw unexpected(operation, present) }
        guard count > 0 else { return }
        for member in members {
            let type = try await roundTripCommand(operation, slot: keys.slot) { out in
                out.command(2)
                out.argument("TYPE")
                out.argument(keys.requestTokenPrefix + member)
            }
            guard case .status(let name) = type else { throw unexpected(operation, type) }
            if name != "none" {
                let token = String(decoding: member, as: UTF8.self)
                throw TokenStoreError(
                    .corruptedRecord, store: displayName, operation: operation,
                    message: "the request token's key holds a Redis \(name), not the string this store writes; "
                        + "delete the key or restore the record", record: "request token \(token)")
            }
        }
    }

    func decodeRequestToken(_ bytes: [UInt8], expecting key: String, operation: String, record: String) throws -> RequestToken {
        do {
            return try RedisRecordCodec.decodeRequestToken(bytes, expecting: key)
        } catch {
            throw corruptRequestToken(error, operation: operation, record: record)
        }
    }

    private func corruptRequestToken(_ failure: RedisRecordCodec.DecodeFailure, operation: String, record: String) -> TokenStoreError {
        TokenStoreError(
            .corruptedRecord, store: displayName, operation: operation,
            message: "the stored request token cannot be decoded: \(failure.reason)", record: record)
    }
}
