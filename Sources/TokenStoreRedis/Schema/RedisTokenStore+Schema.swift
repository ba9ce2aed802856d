import Logging
import Synchronization
import TokenStoreKit

extension RedisTokenStore {
    /// The checks done once per store, at open, in one round trip: the server's version
    /// (which decides `GETDEL` and the bulk load's `ZMSCORE`), the schema version key
    /// (written when missing if ``Configuration/createIfMissing``, raised in place from 2,
    /// refused when newer than this code), the bucket count of a spread store (schema 4)
    /// and the scripts, loaded for `EVALSHA`.
    ///
    /// A new store of one bucket gets `SET schema 3 NX`, as before buckets; a new spread
    /// store gets schema 4 and its bucket count in one script that writes both only when
    /// the schema key is missing. Either way the count is read back in the same round
    /// trip, so processes creating a store at once agree on it.
    func prepare() async throws {
        let keys = self.keys
        let bucketCountKey = layout.bucketCountKey
        let create = configuration.createIfMissing
        let requested = configuration.buckets ?? configuration.defaultBuckets
        let replies = try await roundTrip("open", slot: keys.slot) { out in
            out.command(2)
            out.argument("INFO")
            out.argument("server")
            if create, requested > 1 {
                out.command(7)
                out.argument("EVAL")
                out.argument(RedisScripts.createSpread)
                out.argument("2")
                out.argument(keys.schema)
                out.argument(bucketCountKey)
                out.argument(Self.spreadSchemaVersion)
                out.argument(requested)
            } else if create {
                out.command(4)
                out.argument("SET")
                out.argument(keys.schema)
                out.argument(String(Self.schemaVersion))
                out.argument("NX")
            } else {
                // Same reply position, nothing written.
                out.command(2)
                out.argument("EXISTS")
                out.argument(keys.schema)
            }
            // A store of schema 2 needs nothing written to hold token sets: the raise is
            // the whole upgrade. A store at 1 keeps its version until its counters are
            // built (``countAccessTokensByProvider()``), which then writes the current one.
            out.command(6)
            out.argument("EVAL")
            out.argument(RedisScripts.raiseSchema)
            out.argument("1")
            out.argument(keys.schema)
            out.argument(Self.countersSchemaVersion)
            out.argument(Self.schemaVersion)
            out.command(2)
            out.argument("GET")
            out.argument(keys.schema)
            out.command(2)
            out.argument("GET")
            out.argument(bucketCountKey)
            for script in RedisScripts.all {
                out.command(3)
                out.argument("SCRIPT")
                out.argument("LOAD")
                out.argument(script)
            }
        }
        for reply in replies {
            if let message = reply.errorMessage { throw RedisErrorMapping.error(message, store: displayName, operation: "open") }
        }
        guard case .bulk(let info) = replies[0] else { throw unexpected("open", replies[0]) }
        let version = Self.redisVersion(fromInfo: String(decoding: info, as: UTF8.self))
        guard case .integer(let raised) = replies[2] else { throw unexpected("open", replies[2]) }
        let stored = try schemaVersion(from: replies[3], operation: "open")
        if stored == 0, !create {
            throw TokenStoreError(
                .unavailable, store: displayName, operation: "open",
                message: "no token store under this prefix and database (the schema version key is missing; "
                    + "opened without creating it); check the URL's database and prefix",
                record: String(decoding: keys.schema, as: UTF8.self))
        }
        let buckets = stored == Self.spreadSchemaVersion ? try bucketCount(from: replies[4]) : 1
        if let given = configuration.buckets, given != buckets {
            let created = buckets == 1 ? "1 bucket (the single-tag layout, schema \(stored))" : "\(buckets) buckets"
            throw TokenStoreError(
                .misconfigured, store: displayName, operation: "open",
                message: "the store under this prefix was created with \(created), the URL says buckets=\(given); "
                    + "the count is fixed when a store is created: give buckets=\(buckets) or leave it out "
                    + "(to change it, migrate to a new prefix)")
        }
        var hashes: [String] = []
        for reply in replies[5...] {
            guard case .bulk(let sha) = reply else { throw unexpected("open", reply) }
            hashes.append(String(decoding: sha, as: UTF8.self))
        }
        let hasGetDel = !configuration.forceScriptedTake && Self.version(version, atLeast: [6, 2])
        state.withLock {
            $0.serverVersion = version
            $0.hasGetDel = hasGetDel
            $0.hasZMScore = Self.version(version, atLeast: [6, 2])
            $0.scriptHashes = hashes
        }
        setLayout(buckets: buckets)
        if raised == 1 {
            logger.notice(
                "raised the schema version of the store to \(Self.schemaVersion) (token sets); no token was touched",
                metadata: ["store": "\(displayName)"])
        }
        logger.debug(
            "redis store opened",
            metadata: [
                "store": "\(displayName)", "server": "\(version)", "take": "\(hasGetDel ? "GETDEL" : "lua")",
                "buckets": "\(buckets)",
            ])
    }

    /// The bucket count a spread store's `{prefix}:buckets` holds (2...1024).
    private func bucketCount(from reply: RedisReply) throws -> Int {
        let record = String(decoding: layout.bucketCountKey, as: UTF8.self)
        if case .bulk(let bytes) = reply, let count = Int(String(decoding: bytes, as: UTF8.self)),
            (2...RedisStoreLayout.maxBuckets).contains(count)
        {
            return count
        }
        if reply.errorMessage != nil { throw unexpected("open", reply, record: record) }
        throw TokenStoreError(
            .corruptedRecord, store: displayName, operation: "open",
            message: "the store's schema version is \(Self.spreadSchemaVersion) (keys spread over buckets), but its bucket count key "
                + (reply == .null ? "is missing" : "does not hold a count between 2 and \(RedisStoreLayout.maxBuckets)")
                + "; restore it (the count the store was created with)",
            record: record)
    }

    /// The schema version this code writes and reads.
    /// 2 added the per-provider access-token counters (built on first count for a store at 1).
    /// 3 added OAuth 2.0 token sets (`ts:` hashes and their index): new keys only, so a
    /// store at 2 is raised to 3 on open.
    static let schemaVersion = 3

    /// The schema version of a store spread over buckets (created with `buckets=` above 1):
    /// same keys per bucket as 3, each bucket under its own tag, the count in
    /// `{prefix}:buckets`. Releases before buckets refuse it (`schemaTooNew`), as they must:
    /// they would write under the single tag.
    static let spreadSchemaVersion = 4

    /// The newest schema version this code reads.
    static let newestSchemaVersion = spreadSchemaVersion

    /// The first schema version with per-provider counters: a store below it has them
    /// built on first count.
    static let countersSchemaVersion = 2

    /// The `redis_version` field of an `INFO server` reply ("" when missing).
    static func redisVersion(fromInfo info: String) -> String {
        for line in info.split(whereSeparator: { $0.isNewline }) where line.hasPrefix("redis_version:") {
            return String(line.dropFirst("redis_version:".count))
        }
        return ""
    }

    /// Whether a dotted version is at least `minimum` (unparsable counts as old).
    static func version(_ version: String, atLeast minimum: [Int]) -> Bool {
        let parts = version.split(separator: ".").map { Int($0) ?? 0 }
        for (index, required) in minimum.enumerated() {
            let part = index < parts.count ? parts[index] : 0
            if part != required { return part > required }
        }
        return true
    }

    /// The value of `{prefix}:schema` (0 when missing).
    ///
    /// - Throws: `TokenStoreError` with `schemaTooNew` above this code's version.
    public func schemaVersion() async throws -> Int {
        let key = keys.schema
        let reply = try await roundTripCommand("schemaVersion", slot: keys.slot) { out in
            out.command(2)
            out.argument("GET")
            out.argument(key)
        }
        return try schemaVersion(from: reply, operation: "schemaVersion")
    }

    /// Reads the schema key's value: missing is 0, above ``newestSchemaVersion`` is `schemaTooNew`.
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
            if version > Self.newestSchemaVersion {
                throw TokenStoreError(
                    .schemaTooNew, store: displayName, operation: operation,
                    message: "the keys were written by schema version \(version); this code knows up to \(Self.newestSchemaVersion): upgrade the library",
                    record: record)
            }
            return version
        default:
            throw unexpected(operation, reply, record: record)
        }
    }
}
