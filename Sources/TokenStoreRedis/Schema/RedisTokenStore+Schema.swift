import Logging
import Synchronization
import TokenStoreKit

extension RedisTokenStore {
    /// The checks done once per store, at open, in one round trip: the server's version
    /// (which decides `GETDEL` and the bulk load's `ZMSCORE`), the schema version key
    /// (written when missing if ``Configuration/createIfMissing``, raised in place from 2,
    /// refused when newer than this code) and the scripts, loaded for `EVALSHA`.
    func prepare() async throws {
        let keys = self.keys
        let create = configuration.createIfMissing
        let replies = try await roundTrip("open", slot: keys.slot) { out in
            out.command(2)
            out.argument("INFO")
            out.argument("server")
            if create {
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
        if try schemaVersion(from: replies[3], operation: "open") == 0, !create {
            throw TokenStoreError(
                .unavailable, store: displayName, operation: "open",
                message: "no token store under this prefix and database (the schema version key is missing; "
                    + "opened without creating it); check the URL's database and prefix",
                record: String(decoding: keys.schema, as: UTF8.self))
        }
        var hashes: [String] = []
        for reply in replies[4...] {
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
        if raised == 1 {
            logger.notice(
                "raised the schema version of the store to \(Self.schemaVersion) (token sets); no token was touched",
                metadata: ["store": "\(displayName)"])
        }
        logger.debug(
            "redis store opened",
            metadata: ["store": "\(displayName)", "server": "\(version)", "take": "\(hasGetDel ? "GETDEL" : "lua")"])
    }

    /// The schema version this code writes and reads.
    /// 2 added the per-provider access-token counters (built on first count for a store at 1).
    /// 3 added OAuth 2.0 token sets (`ts:` hashes and their index): new keys only, so a
    /// store at 2 is raised to 3 on open.
    static let schemaVersion = 3

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
