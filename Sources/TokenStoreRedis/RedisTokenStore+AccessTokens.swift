import TokenStoreKit

extension RedisTokenStore {
    private static let upsertScript = 0

    /// Upserts with one Lua script: the `ifNewer` check, `createdAt` kept, index updated.
    @discardableResult
    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        let written = try await saveAccessTokens([token], policy: policy, operation: "saveAccessToken")
        return written == 1
    }

    /// Saves all tokens in one pipeline of upsert scripts (one round trip per 500 tokens).
    /// Each token is written atomically; the batch as a whole is not a transaction.
    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        try await saveAccessTokens(tokens, policy: policy, operation: "saveAccessTokens")
    }

    private func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy, operation: String) async throws -> Int {
        var written = 0
        var start = 0
        let keys = self.keys
        while start < tokens.count {
            let chunk = tokens[start..<min(start + 500, tokens.count)]
            start += chunk.count
            var hash = scriptHash(Self.upsertScript)
            // The tokens to (re)send: `nil` for the whole chunk, so the common pass builds
            // no index array.
            var retry: [Int]?
            while true {
                let batch = retry
                let scriptHash = hash
                let replies = try await roundTrip(operation) { out in
                    if let batch {
                        for index in batch { Self.writeUpsert(&out, chunk[index], policy: policy, hash: scriptHash, keys: keys) }
                    } else {
                        for token in chunk { Self.writeUpsert(&out, token, policy: policy, hash: scriptHash, keys: keys) }
                    }
                }
                var again: [Int] = []
                for (position, reply) in replies.enumerated() {
                    let index = batch?[position] ?? chunk.startIndex + position
                    switch reply {
                    case .integer(let value):
                        written += Int(value)
                    case .error(let message) where message.hasPrefix("NOSCRIPT") && scriptHash != nil:
                        again.append(index)
                    default:
                        throw unexpected(operation, reply, record: "access token \(chunk[index].key)")
                    }
                }
                if again.isEmpty { break }
                retry = again
                hash = nil
            }
        }
        return written
    }

    /// Writes the upsert script call for one token straight into `out` (KEYS: hash, index;
    /// ARGV: policy, member, updated, created, then the fields of
    /// ``RedisRecordCodec/hashFields(_:)`` in that order), without building an array per
    /// argument.
    private static func writeUpsert(
        _ out: inout RESPWriter, _ token: AccessToken, policy: WritePolicy, hash: String?, keys: RedisKeyLayout
    ) {
        let key = token.key
        var fields = 5 + token.metadata.count
        if token.screenName != nil { fields += 1 }
        if token.accessType != nil { fields += 1 }
        out.command(3 + 2 + 4 + 2 * fields)
        if let hash {
            out.argument("EVALSHA")
            out.argument(hash)
        } else {
            out.argument("EVAL")
            out.argument(RedisScripts.all[upsertScript])
        }
        out.argument(2)
        keys.writeAccessTokenKey(key, to: &out)
        out.argument(keys.accessIndex)
        if policy == .ifNewer {
            out.argument("ifNewer")
        } else {
            out.argument("overwrite")
        }
        RedisKeyLayout.writeMember(of: key, to: &out)
        let updated = TokenTimestamp.milliseconds(token.updatedAt)
        out.argument(updated)
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
        out.argument(updated)
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

    /// Reads the token's hash with `HGETALL`, decoded in place from the reply buffer.
    public func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        let operation = "accessToken"
        let keys = self.keys
        let read = try await roundTrip(operation) { out in
            out.command(2)
            out.argument("HGETALL")
            keys.writeAccessTokenKey(key, to: &out)
        } decode: { parser, _ in
            parser.accessTokenHash(expecting: key)
        }
        switch read {
        case .found(let token): return token
        case .missing: return nil
        case .corrupt(let failure): throw corruptAccessToken(failure, operation: operation, key: key)
        case .other(let reply): return try decodeAccessToken(reply, operation: operation, key: key)
        }
    }

    /// Deletes the hash and its index entry in one `MULTI`/`EXEC`.
    @discardableResult
    public func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        let operation = "deleteAccessToken"
        let member = RedisKeyLayout.member(of: key)
        let keys = self.keys
        let replies = try await roundTrip(operation) { out in
            out.command(1)
            out.argument("MULTI")
            out.command(2)
            out.argument("DEL")
            out.argument(keys.accessTokenKey(member: member))
            out.command(3)
            out.argument("ZREM")
            out.argument(keys.accessIndex)
            out.argument(member)
            out.command(1)
            out.argument("EXEC")
        }
        try checkTransaction(replies, operation: operation, record: "access token \(key)")
        guard case .array(let results) = replies[3], case .integer(let deleted) = results.first else {
            throw unexpected(operation, replies[3])
        }
        return deleted > 0
    }

    /// Pages through the access-token index (`ZRANGEBYLEX`), then reads the hashes in one
    /// pipeline.
    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        let operation = "listAccessTokens"
        try checkLimit(limit, operation)
        let pageSize = min(limit, Self.maxPage)
        let keys = self.keys
        let start: [UInt8] = cursor.map { [UInt8(ascii: "(")] + RedisKeyLayout.member(of: $0) } ?? [UInt8(ascii: "-")]
        let reply = try await roundTripCommand(operation) { out in
            out.command(7)
            out.argument("ZRANGEBYLEX")
            out.argument(keys.accessIndex)
            out.argument(start)
            out.argument("+")
            out.argument("LIMIT")
            out.argument("0")
            out.argument(pageSize + 1)
        }
        let members = try bulkArray(reply, operation: operation)
        let pageMembers = Array(members.prefix(pageSize))
        if pageMembers.isEmpty { return AccessTokenPage(tokens: [], nextCursor: nil) }
        let hashes = try await roundTrip(operation) { out in
            for member in pageMembers {
                out.command(2)
                out.argument("HGETALL")
                out.argument(keys.accessTokenKey(member: member))
            }
        }
        var tokens: [AccessToken] = []
        tokens.reserveCapacity(pageMembers.count)
        for (member, hash) in zip(pageMembers, hashes) {
            guard let key = RedisKeyLayout.key(ofMember: member) else {
                throw TokenStoreError(
                    .corruptedRecord, store: displayName, operation: operation,
                    message: "an access-token index member is not a provider/user pair written by this driver",
                    record: "index member of \(member.count) bytes")
            }
            // A token deleted between the two round trips is simply not listed.
            if let token = try decodeAccessToken(hash, operation: operation, key: key) { tokens.append(token) }
        }
        let next = members.count > pageSize ? pageMembers.last.flatMap(RedisKeyLayout.key(ofMember:)) : nil
        return AccessTokenPage(tokens: tokens, nextCursor: next)
    }

    func decodeAccessToken(_ reply: RedisReply, operation: String, key: AccessTokenKey) throws -> AccessToken? {
        if reply.errorMessage != nil { throw unexpected(operation, reply, record: "access token \(key)") }
        do {
            return try RedisRecordCodec.decodeAccessToken(reply, expecting: key)
        } catch {
            throw corruptAccessToken(error, operation: operation, key: key)
        }
    }

    private func corruptAccessToken(_ failure: RedisRecordCodec.DecodeFailure, operation: String, key: AccessTokenKey) -> TokenStoreError {
        TokenStoreError(
            .corruptedRecord, store: displayName, operation: operation,
            message: "the stored access token cannot be decoded: \(failure.reason)", record: "access token \(key)")
    }
}
