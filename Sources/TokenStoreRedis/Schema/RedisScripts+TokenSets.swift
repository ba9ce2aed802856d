/// The scripts of OAuth 2.0 token sets and the schema raise. Each token-set operation that
/// reads before it writes is one script: atomic on the server, across processes. Field
/// names come from ``RedisRecordCodec/TokenSetField``.
///
/// A hash under a token set's key that lacks its version, `created_at` or `updated_at`, or
/// holds a lease without a readable expiry, was not written by this driver: the scripts
/// answer with an error reply carrying ``corruptMarker`` and write nothing.
extension RedisScripts {
    private typealias F = RedisRecordCodec.TokenSetField

    /// The word a script's error reply carries for a damaged token-set hash.
    static let corruptMarker = "TOKENSET_CORRUPT"

    /// Token-set upsert. KEYS: hash, index. ARGV: policy (`overwrite`/`ifNewer`), index
    /// member, `created_at` ms, `updated_at` ms, then the field/value pairs of
    /// ``RedisRecordCodec/writeTokenSetFields(of:to:)``. A replacement keeps the stored
    /// `created_at` and the lease, takes every other field from ARGV (fields the new token
    /// set lacks are gone) and raises the version by one; `ifNewer` writes only a later
    /// `updated_at`. Returns 1 when written, 0 when the policy kept the stored hash.
    static let tokenSetSave = """
        local cur = redis.call('HMGET', KEYS[1], '\(F.createdAt)', '\(F.updatedAt)', '\(F.version)', '\(F.leaseOwner)', '\(F.leaseExpiresAt)')
        local created, version = ARGV[3], 1
        if cur[3] or redis.call('EXISTS', KEYS[1]) == 1 then
          local stored = tonumber(cur[3])
          if not stored or stored < 1 or not cur[1] or not tonumber(cur[2]) then
            return redis.error_reply('\(corruptMarker) the hash lacks a version, created_at or updated_at')
          end
          if ARGV[1] == 'ifNewer' and tonumber(cur[2]) >= tonumber(ARGV[4]) then return 0 end
          created = cur[1]
          version = stored + 1
          redis.call('DEL', KEYS[1])
          if cur[4] then redis.call('HSET', KEYS[1], '\(F.leaseOwner)', cur[4]) end
          if cur[5] then redis.call('HSET', KEYS[1], '\(F.leaseExpiresAt)', cur[5]) end
        end
        redis.call('HSET', KEYS[1], '\(F.createdAt)', created, '\(F.version)', string.format('%d', version))
        for i = 5, #ARGV, 200 do
          redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 199, #ARGV)))
        end
        redis.call('ZADD', KEYS[2], 0, ARGV[2])
        return 1
        """

    /// Token-set compare-and-set. KEYS: hash. ARGV: expected version, new version, then
    /// the field/value pairs of ``RedisRecordCodec/writeTokenSetFields(of:to:)``. Only
    /// when the stored version is the expected one (as written, in decimal): replaces every
    /// field but `created_at`, writes the new version and drops the lease. Returns the
    /// stored `created_at`, or nil when there is no hash or another version.
    static let tokenSetReplace = """
        local cur = redis.call('HMGET', KEYS[1], '\(F.version)', '\(F.createdAt)')
        if not cur[1] then
          if redis.call('EXISTS', KEYS[1]) == 1 then
            return redis.error_reply('\(corruptMarker) the hash has no version')
          end
          return false
        end
        if cur[1] ~= ARGV[1] then return false end
        if not cur[2] then return redis.error_reply('\(corruptMarker) the hash has no created_at') end
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], '\(F.createdAt)', cur[2], '\(F.version)', ARGV[2])
        for i = 3, #ARGV, 200 do
          redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 199, #ARGV)))
        end
        return cur[2]
        """

    /// Refresh-lease acquire. KEYS: hash. ARGV: owner, now ms and the lease's expiry ms,
    /// both by the store's clock. Refused (0) when there is no token set, or another
    /// owner's lease expires after now; otherwise the lease is `owner`'s until the expiry
    /// (the same owner extends it) and the reply is 1.
    static let acquireRefreshLease = """
        local cur = redis.call('HMGET', KEYS[1], '\(F.version)', '\(F.leaseOwner)', '\(F.leaseExpiresAt)')
        if not cur[1] then
          if redis.call('EXISTS', KEYS[1]) == 1 then
            return redis.error_reply('\(corruptMarker) the hash has no version')
          end
          return 0
        end
        if cur[2] and cur[2] ~= ARGV[1] then
          local held = tonumber(cur[3])
          if not held then return redis.error_reply('\(corruptMarker) the lease has no readable expiry') end
          if held > tonumber(ARGV[2]) then return 0 end
        end
        redis.call('HSET', KEYS[1], '\(F.leaseOwner)', ARGV[1], '\(F.leaseExpiresAt)', ARGV[3])
        return 1
        """

    /// Refresh-lease release, compare-and-delete. KEYS: hash. ARGV: owner. Returns 1 when
    /// `owner` held the lease (expired or not) and it was removed, else 0.
    static let releaseRefreshLease = """
        if redis.call('HGET', KEYS[1], '\(F.leaseOwner)') == ARGV[1] then
          redis.call('HDEL', KEYS[1], '\(F.leaseOwner)', '\(F.leaseExpiresAt)')
          return 1
        end
        return 0
        """

    /// Creates a spread store: the schema version (`ARGV[1]`) and the bucket count
    /// (`ARGV[2]`) are written together, only when the schema key is missing; a store that
    /// exists (of any layout) is left as it is. KEYS: schema, bucket count.
    static let createSpread = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          redis.call('SET', KEYS[1], ARGV[1])
          redis.call('SET', KEYS[2], ARGV[2])
          return 1
        end
        return 0
        """

    /// Raises the schema version key, never lowers it. KEYS: schema. ARGV: the lowest
    /// version raised, the version to write. A key below the first (missing, or a store
    /// still building its counters), already at or above the second, or not a number is
    /// left alone. Run at open: two processes opening at once both run it, one writes.
    /// Returns 1 when it raised the version.
    static let raiseSchema = """
        local v = tonumber(redis.call('GET', KEYS[1]) or '')
        if v and v >= tonumber(ARGV[1]) and v < tonumber(ARGV[2]) then
          redis.call('SET', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """
}
