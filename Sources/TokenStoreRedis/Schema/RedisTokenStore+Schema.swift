import TokenStoreKit

extension RedisTokenStore {
    /// `ZCOUNT` of unexpired request tokens and `ZCARD` of access tokens, in one round trip.
    public func counts() async throws -> TokenCounts {
        let operation = "counts"
        let keys = self.keys
        let now = nowMilliseconds()
        let replies = try await roundTrip(operation) { out in
            out.command(4)
            out.argument("ZCOUNT")
            out.argument(keys.requestExpiryIndex)
            out.argument("(" + String(now))
            out.argument("+inf")
            out.command(2)
            out.argument("ZCARD")
            out.argument(keys.accessIndex)
        }
        guard case .integer(let requests) = replies[0] else { throw unexpected(operation, replies[0]) }
        guard case .integer(let accesses) = replies[1] else { throw unexpected(operation, replies[1]) }
        return TokenCounts(requestTokens: Int(requests), accessTokens: Int(accesses))
    }

    /// The value of `{prefix}:schema` (0 when missing).
    ///
    /// - Throws: `TokenStoreError` with `schemaTooNew` above this code's version.
    public func schemaVersion() async throws -> Int {
        let key = keys.schema
        let reply = try await roundTripCommand("schemaVersion") { out in
            out.command(2)
            out.argument("GET")
            out.argument(key)
        }
        return try schemaVersion(from: reply, operation: "schemaVersion")
    }

    /// Reads the schema key's value: missing is 0, above ``schemaVersion`` is `schemaTooNew`.
    func schemaVersion(from reply: RedisReply, operation: String) throws -> Int {
        let record = String(decoding: keys.schema, as: UTF8.self)
        switch reply {
        case .null:
            return 0
        case .bulk(let bytes):
            guard let version = Int(String(decoding: bytes, as: UTF8.self)), version >= 0 else {
                throw TokenStoreError(
                    .corruptedRecord, store: displayName, operation: operation,
                    message: "the schema version key does not hold a number", record: record)
            }
            if version > Self.schemaVersion {
                throw TokenStoreError(
                    .schemaTooNew, store: displayName, operation: operation,
                    message: "the keys were written by schema version \(version); this code knows up to \(Self.schemaVersion): upgrade the library",
                    record: record)
            }
            return version
        default:
            throw unexpected(operation, reply, record: record)
        }
    }
}
