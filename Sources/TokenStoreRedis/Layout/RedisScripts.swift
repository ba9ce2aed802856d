/// The Lua scripts of the store. Each declares every key it touches in `KEYS` (all under
/// one hash tag), so they are valid in Redis Cluster. Run by `EVALSHA`, falling back to
/// `EVAL` when the server answers `NOSCRIPT` (after a restart or `SCRIPT FLUSH`).
enum RedisScripts {
    /// Access-token upsert. KEYS: hash, index. ARGV: policy (`overwrite`/`ifNewer`),
    /// index member, updated_at ms, created_at ms, then field/value pairs.
    /// Returns 1 when written, 0 when `ifNewer` kept a token at least as new. The stored
    /// `created_at` survives every overwrite.
    static let upsert = """
        local cur = redis.call('HMGET', KEYS[1], 'created_at', 'updated_at')
        local created = ARGV[4]
        if cur[1] then
          if ARGV[1] == 'ifNewer' and cur[2] and tonumber(cur[2]) and tonumber(cur[2]) >= tonumber(ARGV[3]) then
            return 0
          end
          created = cur[1]
        end
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'created_at', created)
        for i = 5, #ARGV, 200 do
          redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 199, #ARGV)))
        end
        redis.call('ZADD', KEYS[2], 0, ARGV[2])
        return 1
        """

    /// Request-token take for servers without `GETDEL` (before 6.2). KEYS: record,
    /// expiry index, lex index. ARGV: token. Returns the record or nil.
    static let take = """
        local v = redis.call('GET', KEYS[1])
        if v then redis.call('DEL', KEYS[1]) end
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        return v
        """

    /// Purge of expired request tokens. KEYS: expiry index, lex index, then one record
    /// key per token. ARGV: now ms, then the tokens. A token re-saved since it was listed
    /// (score now in the future) is kept. Returns how many were removed.
    static let purge = """
        local n = 0
        local now = tonumber(ARGV[1])
        for i = 2, #ARGV do
          local s = redis.call('ZSCORE', KEYS[1], ARGV[i])
          if s and tonumber(s) <= now then
            redis.call('ZREM', KEYS[1], ARGV[i])
            redis.call('ZREM', KEYS[2], ARGV[i])
            redis.call('DEL', KEYS[i + 1])
            n = n + 1
          end
        end
        return n
        """

    static let all = [upsert, take, purge]
}
