import Synchronization
import TokenStoreKit

extension RedisTokenStore {
    /// Tokens per upsert script call: enough to spread the call's fixed cost, few enough
    /// that a call (which holds the server while it runs) stays short.
    static let tokensPerUpsertCall = 100
    /// Tokens per pipelined round trip of script calls, and per bulk-load transaction
    /// (which holds the server while `EXEC` runs); also bounds the request buffer whatever
    /// the caller passes.
    static let tokensPerUpsertRoundTrip = 500

    /// Saves all tokens in chunks of 500. A chunk whose records do not exist yet (a bulk
    /// load) is written without a script: `WATCH` of the index, a check that none of its
    /// records or index entries exist, then plain `HSET`s, index entries and counters in
    /// one `MULTI`/`EXEC` (Redis 6.2+). Any other chunk, one whose `EXEC` another
    /// client's write aborted, or one a cluster node redirected (its slot moved or is
    /// moving) goes through the upsert script in calls of up to 100 tokens, which follow
    /// redirects. Either way each token is written atomically with its index entry and
    /// counter (each chunk or script call is, in fact); the batch as a
    /// whole is not a transaction: after an error, tokens of earlier chunks stay written.
    /// A spread store saves each bucket's tokens as such a run of its own (several buckets
    /// at once), so a batch is atomic per call within a bucket, never across buckets; saves
    /// are upserts, so sending a batch again after an error is safe.
    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        try await saveAccessTokens(tokens, policy: policy, operation: "saveAccessTokens")
    }

    /// ``saveAccessTokens(_:policy:)`` naming `operation` in its errors (the single save
    /// goes through here too).
    func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy, operation: String) async throws -> Int {
        let layout = self.layout
        if tokens.count == 1 {
            return try await saveAccessTokens(tokens, policy: policy, operation: operation, keys: layout.keys(for: tokens[0].key))
        }
        let groups = Self.grouped(tokens, layout) { layout.bucket(of: $0.key) }
        return try await concurrently(groups) { group in
            try await self.saveAccessTokens(group.items, policy: policy, operation: operation, keys: group.keys)
        }.reduce(0, +)
    }

    /// Saves access tokens of one bucket (`keys`), in chunks as described above.
    private func saveAccessTokens(
        _ tokens: [AccessToken], policy: WritePolicy, operation: String, keys: RedisKeyLayout
    ) async throws -> Int {
        var written = 0
        var start = 0
        // Cleared once a chunk meets stored records (the rest of the call is most likely
        // an update too, which the script does in one round trip instead of three), or
        // after a second race (another writer is busy in this store).
        var tryBulkLoad = tokens.count >= Self.tokensPerUpsertCall && supportsBulkLoad && Self.bulkLoadProbe?.scriptOnly != true
        var races = 0
        while start < tokens.count {
            if tryBulkLoad, tokens.count - start >= Self.tokensPerUpsertCall {
                let run = try await bulkLoad(tokens, from: start, operation: operation, keys: keys)
                written += run.written
                start = run.stoppedAt
                switch run.reason {
                case .end:
                    if start == tokens.count { continue }
                case .stored, .redirected:
                    // Redirected: the slot moved or is moving. The script path follows
                    // redirects (and updates the map); the rest of this call takes it.
                    tryBulkLoad = false
                case .raced:
                    races += 1
                    tryBulkLoad = races < 2
                case .repeated:
                    break
                }
                if run.reason != .end { Self.bulkLoadProbe?.fallbacks.add(1, ordering: .relaxed) }
            }
            let chunk = start..<min(start + Self.tokensPerUpsertRoundTrip, tokens.count)
            start = chunk.upperBound
            written += try await saveWithScript(tokens, chunk, policy: policy, operation: operation, keys: keys)
        }
        return written
    }

    /// Writes `tokens[chunk]` in one pipelined round trip of upsert script calls of up to
    /// 100 tokens each (again by `EVAL` for the calls the server answered `NOSCRIPT`).
    private func saveWithScript(
        _ tokens: [AccessToken], _ chunk: Range<Int>, policy: WritePolicy, operation: String, keys: RedisKeyLayout
    ) async throws -> Int {
        let perCall = Self.tokensPerUpsertCall
        var written = 0
        var hash = scriptHash(Self.upsertScript)
        // The calls to (re)send after NOSCRIPT; `nil` for the whole chunk in calls of
        // `perCall` tokens, so the common pass builds no array of calls.
        var retry: [Range<Int>]?
        while true {
            let batch = retry
            let scriptHash = hash
            let replies = try await roundTrip(operation, slot: keys.slot, writes: true) { out in
                if let batch {
                    for range in batch { Self.writeUpsert(&out, tokens[range], policy: policy, hash: scriptHash, keys: keys) }
                } else {
                    var from = chunk.lowerBound
                    while from < chunk.upperBound {
                        let to = min(from + perCall, chunk.upperBound)
                        Self.writeUpsert(&out, tokens[from..<to], policy: policy, hash: scriptHash, keys: keys)
                        from = to
                    }
                }
            }
            var again: [Range<Int>] = []
            var from = chunk.lowerBound
            for (position, reply) in replies.enumerated() {
                let range: Range<Int>
                if let batch {
                    range = batch[position]
                } else {
                    range = from..<min(from + perCall, chunk.upperBound)
                    from = range.upperBound
                }
                switch reply {
                case .integer(let value):
                    written += Int(value)
                case .error(let message) where message.hasPrefix("NOSCRIPT") && scriptHash != nil:
                    again.append(range)
                default:
                    throw unexpected(operation, reply, record: Self.describe(tokens[range]))
                }
            }
            if again.isEmpty { return written }
            retry = again
            hash = nil
        }
    }

    /// Names the tokens of a failed script call without their secrets.
    static func describe(_ tokens: ArraySlice<AccessToken>) -> String {
        guard let first = tokens.first else { return "no access token" }
        if tokens.count == 1 { return "access token \(first.key)" }
        return "one of \(tokens.count) access tokens from \(first.key)"
    }

    /// Writes one upsert script call for `tokens` straight into `out` (see
    /// ``RedisScripts/upsert`` for KEYS and ARGV), without building an array per argument.
    private static func writeUpsert(
        _ out: inout RESPWriter, _ tokens: ArraySlice<AccessToken>, policy: WritePolicy, hash: String?,
        keys: RedisKeyLayout
    ) {
        var arguments = 1
        for token in tokens { arguments += RedisRecordCodec.upsertArgumentCount(token) }
        out.command(3 + 3 + tokens.count + arguments)
        writeScriptHead(&out, upsertScript, hash: hash)
        out.argument(3 + tokens.count)
        out.argument(keys.accessIndex)
        out.argument(keys.accessCounts)
        out.argument(keys.accessCountCursor)
        for token in tokens { keys.writeAccessTokenKey(token.key, to: &out) }
        if policy == .ifNewer {
            out.argument("ifNewer")
        } else {
            out.argument("overwrite")
        }
        for token in tokens { RedisRecordCodec.writeUpsertArguments(of: token, to: &out) }
    }
}

extension RedisTokenStore {
    /// Request tokens per `MULTI`/`EXEC` transaction of a batch (three commands each).
    static let requestBatchChunk = 500

    /// Saves the batch in one pipelined round trip per 500 tokens, each chunk one
    /// `MULTI`/`EXEC`: `SET ... PX` (each token keeps its own expiry, relative to the
    /// store's clock) and both index entries, as ``saveRequestToken(_:)`` does one by one.
    /// A token already expired gets the shortest expiry (1 ms) and is never returned. A
    /// spread store writes each bucket's tokens so (several buckets at once): after an
    /// error, other buckets' tokens may be written; sending the batch again is safe.
    ///
    /// - Returns: how many were written (every token).
    @discardableResult
    public func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int {
        let operation = "saveRequestTokens"
        let layout = self.layout
        let groups = Self.grouped(tokens, layout) { layout.bucket(ofRequestToken: $0.token) }
        _ = try await concurrently(groups) { group in
            try await self.saveRequestTokens(group.items, keys: group.keys, operation: operation)
        }
        return tokens.count
    }

    /// Saves request tokens of one bucket (`keys`), 500 per transaction.
    private func saveRequestTokens(_ tokens: [RequestToken], keys: RedisKeyLayout, operation: String) async throws {
        var start = 0
        while start < tokens.count {
            let chunk = tokens[start..<min(start + Self.requestBatchChunk, tokens.count)]
            start += chunk.count
            let now = nowMilliseconds()
            let replies = try await roundTrip(operation, slot: keys.slot, writes: true) { out in
                out.command(1)
                out.argument("MULTI")
                for token in chunk {
                    let expires = TokenTimestamp.milliseconds(token.expiresAt)
                    Self.appendSave(
                        token, record: RedisRecordCodec.encode(token), expires: expires,
                        timeToLive: max(1, expires - now), keys: keys, to: &out)
                }
                out.command(1)
                out.argument("EXEC")
            }
            try checkTransaction(replies, operation: operation, record: nil)
        }
    }
}
