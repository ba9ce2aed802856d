import Logging
import TokenStoreKit

extension RedisTokenStore {
    /// `ZCOUNT` of unexpired request tokens, `ZCARD` of access tokens and of token sets, in
    /// one round trip (per bucket, summed, in a spread store).
    public func counts() async throws -> TokenCounts {
        let operation = "counts"
        let now = nowMilliseconds()
        let perBucket = try await concurrently(layout.buckets) { keys in
            try await self.counts(keys, now: now, operation: operation)
        }
        var total = TokenCounts(requestTokens: 0, accessTokens: 0, tokenSets: 0)
        for counts in perBucket {
            total.requestTokens += counts.requestTokens
            total.accessTokens += counts.accessTokens
            total.tokenSets += counts.tokenSets
        }
        return total
    }

    /// The counts of one bucket.
    private func counts(_ keys: RedisKeyLayout, now: Int64, operation: String) async throws -> TokenCounts {
        let replies = try await roundTrip(operation, slot: keys.slot) { out in
            out.command(4)
            out.argument("ZCOUNT")
            out.argument(keys.requestExpiryIndex)
            out.argument("(" + String(now))
            out.argument("+inf")
            out.command(2)
            out.argument("ZCARD")
            out.argument(keys.accessIndex)
            out.command(2)
            out.argument("ZCARD")
            out.argument(keys.tokenSetIndex)
        }
        guard case .integer(let requests) = replies[0] else { throw unexpected(operation, replies[0]) }
        guard case .integer(let accesses) = replies[1] else { throw unexpected(operation, replies[1]) }
        guard case .integer(let tokenSets) = replies[2] else { throw unexpected(operation, replies[2]) }
        return TokenCounts(requestTokens: Int(requests), accessTokens: Int(accesses), tokenSets: Int(tokenSets))
    }

    /// Removes request tokens whose expiry score has passed, 500 per script call, and the
    /// index entries of records the server already expired (bucket by bucket, several at
    /// once, in a spread store).
    public func purgeExpiredRequestTokens() async throws -> Int {
        let operation = "purgeExpiredRequestTokens"
        let now = nowMilliseconds()
        return try await concurrently(layout.buckets) { keys in
            try await self.purgeExpiredRequestTokens(keys, now: now, operation: operation)
        }.reduce(0, +)
    }

    /// Purges one bucket.
    private func purgeExpiredRequestTokens(_ keys: RedisKeyLayout, now: Int64, operation: String) async throws -> Int {
        var removed = 0
        while true {
            let reply = try await roundTripCommand(operation, slot: keys.slot) { out in
                out.command(7)
                out.argument("ZRANGEBYSCORE")
                out.argument(keys.requestExpiryIndex)
                out.argument("-inf")
                out.argument(now)
                out.argument("LIMIT")
                out.argument("0")
                out.argument(500)
            }
            let members = try bulkArray(reply, operation: operation)
            if members.isEmpty { return removed }
            var scriptKeys = [keys.requestExpiryIndex, keys.requestLexIndex]
            scriptKeys.append(contentsOf: members.map { keys.requestTokenPrefix + $0 })
            let count = try await evalScript(
                2, operation: operation, record: nil, slot: keys.slot, writes: true, keys: scriptKeys, arguments: [Array(String(now).utf8)] + members)
            guard case .integer(let n) = count else { throw unexpected(operation, count) }
            removed += Int(n)
            if members.count < 500 { return removed }
        }
    }

    /// Index members counted per rebuild step (one short script call each).
    static let counterRebuildStep = 10_000

    /// Reads the per-provider counters kept with the writes (`HGETALL` of one small hash).
    /// On a store written by schema 1, which has no counters, builds them first, in short
    /// steps that leave the server responsive (once per store; concurrent callers share
    /// the work), then records the current schema version.
    ///
    /// - Throws: `TokenStoreError`: `corruptedRecord` when a counter is not a count of a
    ///   provider this driver wrote.
    public func countAccessTokensByProvider() async throws -> AccessTokenCounts {
        try await countAccessTokensByProvider(rebuildStep: Self.counterRebuildStep)
    }

    /// ``countAccessTokensByProvider()`` counting `rebuildStep` members per rebuild step
    /// (tests use small steps to interleave writes with a rebuild).
    package func countAccessTokensByProvider(rebuildStep: Int) async throws -> AccessTokenCounts {
        let operation = "countAccessTokensByProvider"
        let layout = self.layout
        if layout.count > 1 { return try await countSpreadAccessTokensByProvider(layout, operation: operation) }
        let keys = self.keys
        while true {
            let replies = try await roundTrip(operation, slot: keys.slot) { out in
                out.command(1)
                out.argument("MULTI")
                out.command(2)
                out.argument("GET")
                out.argument(keys.schema)
                out.command(2)
                out.argument("EXISTS")
                out.argument(keys.accessCountCursor)
                out.command(2)
                out.argument("HGETALL")
                out.argument(keys.accessCounts)
                out.command(1)
                out.argument("EXEC")
            }
            try checkTransaction(replies, operation: operation, record: nil)
            guard case .array(let results) = replies[replies.count - 1], results.count == 3 else {
                throw unexpected(operation, replies[replies.count - 1])
            }
            let version = try schemaVersion(from: results[0], operation: operation)
            guard case .integer(let rebuilding) = results[1] else { throw unexpected(operation, results[1]) }
            if version >= Self.countersSchemaVersion, rebuilding == 0 {
                return try decodeCounts(results[2], keys: keys, operation: operation)
            }
            try await rebuildCounts(step: max(1, rebuildStep), operation: operation)
        }
    }

    /// Runs rebuild steps until the counters are complete.
    private func rebuildCounts(step: Int, operation: String) async throws {
        let keys = self.keys
        logger.notice(
            "building the per-provider access-token counters of a store written by schema 1 (once)",
            metadata: ["store": "\(displayName)"])
        while true {
            let reply = try await evalScript(
                Self.rebuildCountsScript, operation: operation, record: String(decoding: keys.accessCounts, as: UTF8.self), slot: keys.slot,
                keys: [keys.accessIndex, keys.accessCounts, keys.accessCountCursor, keys.schema],
                arguments: [
                    Array(String(step).utf8), Array(String(Self.countersSchemaVersion).utf8),
                    Array(String(Self.schemaVersion).utf8),
                ])
            guard case .integer(let done) = reply else { throw unexpected(operation, reply) }
            if done == 1 { return }
        }
    }

    /// The sum of every bucket's counters (`HGETALL` per bucket). A spread store was created
    /// with counters (schema 4), so none is ever rebuilt.
    private func countSpreadAccessTokensByProvider(_ layout: RedisStoreLayout, operation: String) async throws -> AccessTokenCounts {
        let perBucket = try await concurrently(layout.buckets) { keys in
            let reply = try await self.roundTripCommand(operation, slot: keys.slot) { out in
                out.command(2)
                out.argument("HGETALL")
                out.argument(keys.accessCounts)
            }
            return try self.decodeCounts(reply, keys: keys, operation: operation)
        }
        var total: [String: Int] = [:]
        for counts in perBucket {
            for (provider, count) in counts.byProvider { total[provider, default: 0] += count }
        }
        return AccessTokenCounts(byProvider: total)
    }

    private func decodeCounts(_ reply: RedisReply, keys: RedisKeyLayout, operation: String) throws -> AccessTokenCounts {
        let record = String(decoding: keys.accessCounts, as: UTF8.self)
        guard case .array(let items) = reply, items.count % 2 == 0 else { throw unexpected(operation, reply, record: record) }
        var counts: [String: Int] = [:]
        var index = 0
        while index < items.count {
            guard case .bulk(let field) = items[index], case .bulk(let value) = items[index + 1],
                let provider = RedisKeyLayout.provider(ofCounterField: field),
                let count = Int(String(decoding: value, as: UTF8.self)), count >= 0
            else {
                throw TokenStoreError(
                    .corruptedRecord, store: displayName, operation: operation,
                    message: "a per-provider counter is not a count of a provider written by this driver", record: record)
            }
            counts[provider] = count
            index += 2
        }
        return AccessTokenCounts(byProvider: counts)
    }
}
