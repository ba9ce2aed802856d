import TokenStoreKit

extension RedisTokenStore {
    /// Upserts with one Lua script: the `ifNewer` check, `createdAt` kept, index and
    /// per-provider counter updated, atomically.
    @discardableResult
    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        let written = try await saveAccessTokens([token], policy: policy, operation: "saveAccessToken")
        return written == 1
    }

    /// Reads the token's hash with `HGETALL`, decoded in place from the reply buffer.
    public func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        let operation = "accessToken"
        let keys = layout.keys(for: key)
        let read = try await roundTrip(operation, slot: keys.slot) { out in
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

    /// Deletes the hash, its index entry and one from its provider's counter, in one script.
    @discardableResult
    public func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        let operation = "deleteAccessToken"
        let keys = layout.keys(for: key)
        var hash = scriptHash(Self.deleteScript)
        while true {
            let scriptHash = hash
            let reply = try await roundTripCommand(operation, slot: keys.slot, writes: true) { out in
                out.command(3 + 4 + 2)
                Self.writeScriptHead(&out, Self.deleteScript, hash: scriptHash)
                out.argument(4)
                keys.writeAccessTokenKey(key, to: &out)
                out.argument(keys.accessIndex)
                out.argument(keys.accessCounts)
                out.argument(keys.accessCountCursor)
                RedisKeyLayout.writeMember(of: key, to: &out)
                RedisKeyLayout.writeCounterField(of: key, to: &out)
            }
            switch reply {
            case .integer(let deleted):
                return deleted > 0
            case .error(let message) where message.hasPrefix("NOSCRIPT") && scriptHash != nil:
                hash = nil
            default:
                throw unexpected(operation, reply, record: "access token \(key)")
            }
        }
    }

    /// Pages through the access-token index (`ZRANGEBYLEX`, merged over the buckets of a
    /// spread store), then reads the hashes in one pipeline per bucket.
    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        let operation = "listAccessTokens"
        let page = try await listKeyed(
            operation, index: \.accessIndex, after: cursor, limit: limit, member: "an access-token index member",
            hashKey: { $0.accessTokenKey(member: $1) },
            decode: { try decodeAccessToken($0, operation: operation, key: $1) })
        return AccessTokenPage(tokens: page.records, nextCursor: page.nextCursor)
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
