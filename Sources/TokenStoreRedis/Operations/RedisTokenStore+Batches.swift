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

    /// Upserts with one Lua script: the `ifNewer` check, `createdAt` kept, index and
    /// per-provider counter updated, atomically.
    @discardableResult
    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        let written = try await saveAccessTokens([token], policy: policy, operation: "saveAccessToken")
        return written == 1
    }

    /// Saves all tokens in chunks of 500. A chunk whose records do not exist yet (a bulk
    /// load) is written without a script: `WATCH` of the index, a check that none of its
    /// records or index entries exist, then plain `HSET`s, index entries and counters in
    /// one `MULTI`/`EXEC` (Redis 6.2+). Any other chunk, or one whose `EXEC` another
    /// client's write aborted, goes through the upsert script in calls of up to 100 tokens. Either way each token is written atomically with its
    /// index entry and counter (each chunk or script call is, in fact); the batch as a
    /// whole is not a transaction: after an error, tokens of earlier chunks stay written.
    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        try await saveAccessTokens(tokens, policy: policy, operation: "saveAccessTokens")
    }

    private func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy, operation: String) async throws -> Int {
        var written = 0
        var start = 0
        // Cleared once a chunk meets stored records (the rest of the call is most likely
        // an update too, which the script does in one round trip instead of three), or
        // after a second race (another writer is busy in this store).
        var tryBulkLoad = tokens.count >= Self.tokensPerUpsertCall && supportsBulkLoad && Self.bulkLoadProbe?.scriptOnly != true
        var races = 0
        while start < tokens.count {
            if tryBulkLoad, tokens.count - start >= Self.tokensPerUpsertCall {
                let run = try await bulkLoad(tokens, from: start, operation: operation)
                written += run.written
                start = run.stoppedAt
                switch run.reason {
                case .end:
                    if start == tokens.count { continue }
                case .stored:
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
            written += try await saveWithScript(tokens, chunk, policy: policy, operation: operation)
        }
        return written
    }

    /// Writes `tokens[chunk]` in one pipelined round trip of upsert script calls of up to
    /// 100 tokens each (again by `EVAL` for the calls the server answered `NOSCRIPT`).
    private func saveWithScript(
        _ tokens: [AccessToken], _ chunk: Range<Int>, policy: WritePolicy, operation: String
    ) async throws -> Int {
        let keys = self.keys
        let perCall = Self.tokensPerUpsertCall
        var written = 0
        var hash = scriptHash(Self.upsertScript)
        // The calls to (re)send after NOSCRIPT; `nil` for the whole chunk in calls of
        // `perCall` tokens, so the common pass builds no array of calls.
        var retry: [Range<Int>]?
        while true {
            let batch = retry
            let scriptHash = hash
            let replies = try await roundTrip(operation) { out in
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

    /// Field/value arguments of one token's optional fields (screen name, access type,
    /// metadata).
    static func optionalFieldArguments(_ token: AccessToken) -> Int {
        var fields = token.metadata.count
        if token.screenName != nil { fields += 1 }
        if token.accessType != nil { fields += 1 }
        return 2 * fields
    }

    /// Writes one upsert script call for `tokens` straight into `out` (see
    /// ``RedisScripts/upsert`` for KEYS and ARGV), without building an array per argument.
    private static func writeUpsert(
        _ out: inout RESPWriter, _ tokens: ArraySlice<AccessToken>, policy: WritePolicy, hash: String?,
        keys: RedisKeyLayout
    ) {
        var arguments = 1
        for token in tokens { arguments += 9 + optionalFieldArguments(token) }
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
        for token in tokens { writeUpsertArguments(&out, token) }
    }

    /// One token's ARGV: member, counter field, created, n, the values of `provider`,
    /// `user_id`, `token`, `secret`, `updated_at`, then the n optional field/value arguments
    /// of ``RedisRecordCodec/hashFields(_:)`` in that order.
    private static func writeUpsertArguments(_ out: inout RESPWriter, _ token: AccessToken) {
        let key = token.key
        RedisKeyLayout.writeMember(of: key, to: &out)
        RedisKeyLayout.writeCounterField(of: key, to: &out)
        out.argument(TokenTimestamp.milliseconds(token.createdAt))
        out.argument(optionalFieldArguments(token))
        out.argument(token.provider)
        out.argument(token.userID)
        out.argument(token.token)
        out.argument(token.secret)
        out.argument(TokenTimestamp.milliseconds(token.updatedAt))
        writeOptionalFields(&out, token)
    }

    /// The ``optionalFieldArguments(_:)`` field/value arguments of a token: screen name,
    /// access type, then metadata as `m:<name>` in name order, as the scripts store them.
    static func writeOptionalFields(_ out: inout RESPWriter, _ token: AccessToken) {
        if let value = token.screenName {
            out.argument("screen_name")
            out.argument(value)
        }
        if let value = token.accessType {
            out.argument("access_type")
            out.argument(value)
        }
        if !token.metadata.isEmpty {
            for (name, value) in token.metadata.sorted(by: { $0.key < $1.key }) {
                out.argument("m:" + name)
                out.argument(value)
            }
        }
    }
}
