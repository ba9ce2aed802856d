import Synchronization
import TokenStoreKit

/// OAuth 2.0 token sets: one hash each under `ts:` with its version and refresh lease, and
/// a sorted-set index for listing (see ``RedisKeyLayout``). Every write that depends on
/// what is stored (upsert, compare-and-set, lease) is one script call, so it is atomic
/// across processes; reads are plain `HGETALL`s.
extension RedisTokenStore {
    /// Token sets per pipelined round trip of a batch save; also bounds the request buffer
    /// whatever the caller passes.
    static let tokenSetsPerRoundTrip = 500

    /// Upserts with one script call: the `ifNewer` check, `createdAt` kept, the version
    /// raised, the lease left alone and the index entry added, atomically.
    @discardableResult
    public func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool {
        try await saveTokenSets([tokenSet], policy: policy, operation: "saveTokenSet") == 1
    }

    /// Saves the batch as pipelined script calls, 500 per round trip, each token set
    /// written atomically as ``saveTokenSet(_:policy:)`` writes it (in a spread store, one
    /// run per bucket, several at once). The batch as a whole is not a transaction: after
    /// an error, token sets of earlier calls (and other buckets) stay written; saves are
    /// upserts, so sending the batch again is safe.
    @discardableResult
    public func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy) async throws -> Int {
        try await saveTokenSets(tokenSets, policy: policy, operation: "saveTokenSets")
    }

    private func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy, operation: String) async throws -> Int {
        let layout = self.layout
        if tokenSets.count == 1 {
            return try await saveTokenSets(tokenSets, policy: policy, operation: operation, keys: layout.keys(for: tokenSets[0].key))
        }
        let groups = Self.grouped(tokenSets, layout) { layout.bucket(of: $0.key) }
        return try await concurrently(groups) { group in
            try await self.saveTokenSets(group.items, policy: policy, operation: operation, keys: group.keys)
        }.reduce(0, +)
    }

    /// Saves token sets of one bucket (`keys`).
    private func saveTokenSets(
        _ tokenSets: [OAuth2TokenSet], policy: WritePolicy, operation: String, keys: RedisKeyLayout
    ) async throws -> Int {
        var written = 0
        var start = 0
        while start < tokenSets.count {
            let chunk = Array(tokenSets[start..<min(start + Self.tokenSetsPerRoundTrip, tokenSets.count)])
            start += chunk.count
            let replies = try await scriptCalls(Self.tokenSetSaveScript, count: chunk.count, slot: keys.slot, operation: operation) { out, index, hash in
                Self.writeSave(&out, chunk[index], policy: policy, hash: hash, keys: keys)
            }
            for (tokenSet, reply) in zip(chunk, replies) {
                guard case .integer(let value) = reply else { throw tokenSetFailure(reply, operation: operation, key: tokenSet.key) }
                written += Int(value)
            }
        }
        return written
    }

    /// Reads the token set's hash with `HGETALL`.
    public func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? {
        let operation = "tokenSet"
        let keys = layout.keys(for: key)
        let reply = try await roundTripCommand(operation, slot: keys.slot) { out in
            out.command(2)
            out.argument("HGETALL")
            keys.writeTokenSetKey(key, to: &out)
        }
        return try decodeTokenSet(reply, operation: operation, key: key)
    }

    /// Deletes the hash (the lease with it) and its index entry in one `MULTI`/`EXEC`.
    @discardableResult
    public func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool {
        let operation = "deleteTokenSet"
        let keys = layout.keys(for: key)
        let record = "token set \(key)"
        let replies = try await roundTrip(operation, slot: keys.slot, writes: true) { out in
            out.command(1)
            out.argument("MULTI")
            out.command(2)
            out.argument("DEL")
            keys.writeTokenSetKey(key, to: &out)
            out.command(3)
            out.argument("ZREM")
            out.argument(keys.tokenSetIndex)
            RedisKeyLayout.writeMember(of: key, to: &out)
            out.command(1)
            out.argument("EXEC")
        }
        try checkTransaction(replies, operation: operation, record: record)
        guard case .array(let results) = replies[replies.count - 1], results.count == 2,
            case .integer(let deleted) = results[0]
        else { throw unexpected(operation, replies[replies.count - 1], record: record) }
        return deleted > 0
    }

    /// Pages through the token-set index (`ZRANGEBYLEX`, merged over the buckets of a
    /// spread store), then reads the hashes, as ``listAccessTokens(after:limit:)`` does.
    public func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage {
        let operation = "listTokenSets"
        let page = try await listKeyed(
            operation, index: \.tokenSetIndex, after: cursor, limit: limit, member: "a token-set index member",
            hashKey: { $0.tokenSetKey(member: $1) },
            decode: { try decodeTokenSet($0, operation: operation, key: $1) })
        return OAuth2TokenSetPage(tokenSets: page.records, nextCursor: page.nextCursor)
    }

    /// Compare-and-set in one script call: the version compared, every field but
    /// `createdAt` replaced, the version raised and the lease dropped, atomically.
    public func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? {
        let operation = "replaceTokenSet"
        let key = tokenSet.key
        let keys = layout.keys(for: key)
        let (next, overflow) = expected.addingReportingOverflow(1)
        guard !overflow else {
            // No write reaches Int64.max: no stored version can be the expected one.
            try checkOpen(operation)
            return nil
        }
        let reply = try await scriptCalls(Self.tokenSetReplaceScript, count: 1, slot: keys.slot, operation: operation) { out, _, hash in
            out.command(3 + 1 + 2 + RedisRecordCodec.tokenSetFieldArgumentCount(tokenSet))
            Self.writeScriptHead(&out, Self.tokenSetReplaceScript, hash: hash)
            out.argument(1)
            keys.writeTokenSetKey(key, to: &out)
            out.argument(expected)
            out.argument(next)
            RedisRecordCodec.writeTokenSetFields(of: tokenSet, to: &out)
        }[0]
        switch reply {
        case .null:
            return nil
        case .bulk(let created):
            var stored = tokenSet
            do {
                stored.createdAt = try RedisRecordCodec.decodeCreatedAt(created)
            } catch {
                throw corruptTokenSet(error, operation: operation, key: key)
            }
            stored.version = next
            return stored
        default:
            throw tokenSetFailure(reply, operation: operation, key: key)
        }
    }

    /// Takes or extends the lease in one script call; the expiry is judged by the store's
    /// clock (its `now` goes to the script), as request-token expiry is.
    public func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool {
        let operation = "acquireRefreshLease"
        try checkOpen(operation)
        let milliseconds = try RefreshLeaseDuration.milliseconds(duration, store: displayName, operation: operation)
        // Both are bounded (a clamped timestamp, at most an hour): no overflow.
        let now = nowMilliseconds()
        let expires = now + milliseconds
        let keys = layout.keys(for: key)
        let reply = try await scriptCalls(Self.acquireRefreshLeaseScript, count: 1, slot: keys.slot, operation: operation) { out, _, hash in
            out.command(3 + 1 + 3)
            Self.writeScriptHead(&out, Self.acquireRefreshLeaseScript, hash: hash)
            out.argument(1)
            keys.writeTokenSetKey(key, to: &out)
            out.argument(owner)
            out.argument(now)
            out.argument(expires)
        }[0]
        guard case .integer(let granted) = reply else { throw tokenSetFailure(reply, operation: operation, key: key) }
        return granted == 1
    }

    /// Compare-and-delete of the lease in one script call.
    @discardableResult
    public func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool {
        let operation = "releaseRefreshLease"
        let keys = layout.keys(for: key)
        let reply = try await scriptCalls(Self.releaseRefreshLeaseScript, count: 1, slot: keys.slot, operation: operation) { out, _, hash in
            out.command(3 + 1 + 1)
            Self.writeScriptHead(&out, Self.releaseRefreshLeaseScript, hash: hash)
            out.argument(1)
            keys.writeTokenSetKey(key, to: &out)
            out.argument(owner)
        }[0]
        guard case .integer(let released) = reply else { throw tokenSetFailure(reply, operation: operation, key: key) }
        return released == 1
    }

    // MARK: Helpers

    /// One save script call (see ``RedisScripts/tokenSetSave`` for KEYS and ARGV), written
    /// straight into `out`.
    private static func writeSave(
        _ out: inout RESPWriter, _ tokenSet: OAuth2TokenSet, policy: WritePolicy, hash: String?, keys: RedisKeyLayout
    ) {
        let key = tokenSet.key
        out.command(3 + 2 + 4 + RedisRecordCodec.tokenSetFieldArgumentCount(tokenSet))
        writeScriptHead(&out, tokenSetSaveScript, hash: hash)
        out.argument(2)
        keys.writeTokenSetKey(key, to: &out)
        out.argument(keys.tokenSetIndex)
        if policy == .ifNewer {
            out.argument("ifNewer")
        } else {
            out.argument("overwrite")
        }
        RedisKeyLayout.writeMember(of: key, to: &out)
        out.argument(TokenTimestamp.milliseconds(tokenSet.createdAt))
        out.argument(TokenTimestamp.milliseconds(tokenSet.updatedAt))
        RedisRecordCodec.writeTokenSetFields(of: tokenSet, to: &out)
    }

    /// Runs `count` calls of script `index` in one pipelined round trip, each written by
    /// `write(out, call, hash)` (`EVALSHA` with `hash`, `EVAL` when it is `nil`; keys of `slot`), and sends
    /// again by `EVAL` the calls the server answered `NOSCRIPT` (after a restart or
    /// `SCRIPT FLUSH`). Returns one reply per call, in order; error replies are returned,
    /// not thrown.
    private func scriptCalls(
        _ index: Int, count: Int, slot: UInt16, operation: String, _ write: (inout RESPWriter, Int, String?) -> Void
    ) async throws -> [RedisReply] {
        var replies = [RedisReply](repeating: .null, count: count)
        var pending = Array(0..<count)
        var hash = scriptHash(index)
        while true {
            let calls = pending
            let scriptHash = hash
            let received = try await roundTrip(operation, slot: slot, writes: true) { out in
                for call in calls { write(&out, call, scriptHash) }
            }
            var again: [Int] = []
            for (call, reply) in zip(calls, received) {
                if scriptHash != nil, case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
                    again.append(call)
                } else {
                    replies[call] = reply
                }
            }
            if again.isEmpty { return replies }
            pending = again
            hash = nil
        }
    }

    private func decodeTokenSet(_ reply: RedisReply, operation: String, key: AccessTokenKey) throws -> OAuth2TokenSet? {
        if reply.errorMessage != nil { throw unexpected(operation, reply, record: "token set \(key)") }
        do {
            return try RedisRecordCodec.decodeTokenSet(reply, expecting: key)
        } catch {
            throw corruptTokenSet(error, operation: operation, key: key)
        }
    }

    /// The error of a script reply that is not the expected one: a damaged hash the script
    /// refused (``RedisScripts/corruptMarker``) is `corruptedRecord`; a server error
    /// (`WRONGTYPE`: the key is not a hash) maps as every error reply does.
    private func tokenSetFailure(_ reply: RedisReply, operation: String, key: AccessTokenKey) -> TokenStoreError {
        if let message = reply.errorMessage, let marker = message.firstRange(of: RedisScripts.corruptMarker) {
            let reason = RedisErrorMapping.sanitize(String(message[marker.upperBound...].drop(while: { $0 == " " })))
            return TokenStoreError(
                .corruptedRecord, store: displayName, operation: operation,
                message: "the stored token set was not written by this driver (\(reason)); delete or repair the key",
                record: "token set \(key)")
        }
        return unexpected(operation, reply, record: "token set \(key)")
    }

    private func corruptTokenSet(_ failure: RedisRecordCodec.DecodeFailure, operation: String, key: AccessTokenKey) -> TokenStoreError {
        TokenStoreError(
            .corruptedRecord, store: displayName, operation: operation,
            message: "the stored token set cannot be decoded: \(failure.reason)", record: "token set \(key)")
    }

    /// `closed` once the store is closed; for calls that may answer without a round trip.
    private func checkOpen(_ operation: String) throws {
        if state.withLock({ $0.closed }) {
            throw TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
        }
    }
}
