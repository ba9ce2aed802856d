/// The Lua scripts of the store. Each declares every key it touches in `KEYS` (all under
/// one hash tag), so they are valid in Redis Cluster. Run by `EVALSHA`, falling back to
/// `EVAL` when the server answers `NOSCRIPT` (after a restart or `SCRIPT FLUSH`).
enum RedisScripts {
    /// Access-token upsert of a batch of tokens, each written as the single upsert was: the
    /// `ifNewer` check, the stored `created_at` kept through every overwrite, the record's
    /// fields replaced, the index entry added and, when the member is new, its provider's
    /// counter raised. One call per batch instead of one per token: the script's fixed cost
    /// is paid once for many tokens. A record that does not exist is not deleted first, and
    /// the index entries are added by one `ZADD` per provider at the end, whose reply (the
    /// members that were new) raises that provider's counter: the script is atomic, so no
    /// reader sees the index ahead of the records or the counters behind the index.
    ///
    /// KEYS: index, counters, counter rebuild cursor, then one hash per token.
    /// ARGV: policy (`overwrite`/`ifNewer`), then per token: index member, counter field,
    /// created_at ms, the number n of optional field/value arguments, the values of
    /// `provider`, `user_id`, `token`, `secret` and `updated_at` (ms), then the n optional
    /// field/value arguments. The fixed field names are the script's own constants, not
    /// arguments: each argument costs the server a parse, a Lua string and a Redis string
    /// again when passed on. Returns how many tokens were written.
    ///
    /// When none of the call's records exists (one `EXISTS` of them all, the common case of
    /// a bulk load), a record is not read before it is written, except a key met again in
    /// the same call: it exists by then.
    ///
    /// While counters are rebuilt (cursor set, see ``rebuildCounts``) a new member is
    /// counted here only when the rebuild already passed it; it counts it otherwise.
    static let upsert = """
        local ifNewer = ARGV[1] == 'ifNewer'
        local cursor = redis.call('GET', KEYS[3])
        local written = 0
        local added = {}
        local members = {}
        local fresh = #KEYS < 4 or redis.call('EXISTS', unpack(KEYS, 4)) == 0
        local seen = {}
        local a = 2
        for k = 4, #KEYS do
          local member, field, created = ARGV[a], ARGV[a + 1], ARGV[a + 2]
          local first = a + 4
          local updated = ARGV[first + 4]
          local last = first + 4 + tonumber(ARGV[a + 3])
          a = last + 1
          local cur
          if fresh and not seen[KEYS[k]] then
            seen[KEYS[k]] = true
            cur = {}
          else
            cur = redis.call('HMGET', KEYS[k], 'created_at', 'updated_at')
          end
          local keep = false
          if cur[1] or cur[2] then
            if ifNewer and cur[2] and tonumber(cur[2]) and tonumber(cur[2]) >= tonumber(updated) then
              keep = true
            else
              created = cur[1] or created
              redis.call('DEL', KEYS[k])
            end
          end
          if not keep then
            if last - first < 203 then
              redis.call('HSET', KEYS[k], 'created_at', created, 'provider', ARGV[first],
                'user_id', ARGV[first + 1], 'token', ARGV[first + 2], 'secret', ARGV[first + 3],
                'updated_at', updated, unpack(ARGV, first + 5, last))
            else
              redis.call('HSET', KEYS[k], 'created_at', created, 'provider', ARGV[first],
                'user_id', ARGV[first + 1], 'token', ARGV[first + 2], 'secret', ARGV[first + 3],
                'updated_at', updated)
              for i = first + 5, last, 200 do
                redis.call('HSET', KEYS[k], unpack(ARGV, i, math.min(i + 199, last)))
              end
            end
            if cursor then
              if redis.call('ZADD', KEYS[1], 0, member) == 1
                and redis.call('ZLEXCOUNT', KEYS[1], cursor, '[' .. member) == 0 then
                added[field] = (added[field] or 0) + 1
              end
            else
              local list = members[field]
              if not list then
                list = {}
                members[field] = list
              end
              list[#list + 1] = '0'
              list[#list + 1] = member
            end
            written = written + 1
          end
        end
        for field, list in pairs(members) do
          for i = 1, #list, 400 do
            added[field] = (added[field] or 0) + redis.call('ZADD', KEYS[1], unpack(list, i, math.min(i + 399, #list)))
          end
        end
        for field, n in pairs(added) do
          if n > 0 then redis.call('HINCRBY', KEYS[2], field, n) end
        end
        return written
        """

    /// Access-token delete. KEYS: hash, index, counters, counter rebuild cursor.
    /// ARGV: index member, counter field. Removes the record and its index entry and, when
    /// the entry was there (and already counted), lowers its provider's counter. Returns
    /// how many records were deleted (0 or 1).
    static let delete = """
        local deleted = redis.call('DEL', KEYS[1])
        if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
          local cursor = redis.call('GET', KEYS[4])
          local counted = not cursor or redis.call('ZLEXCOUNT', KEYS[2], cursor, '[' .. ARGV[1]) == 0
          redis.call('ZREM', KEYS[2], ARGV[1])
          if counted and redis.call('HINCRBY', KEYS[3], ARGV[2], -1) <= 0 then
            redis.call('HDEL', KEYS[3], ARGV[2])
          end
        end
        return deleted
        """

    /// One step of building the per-provider counters of a store written without them
    /// (schema 1). KEYS: index, counters, cursor, schema. ARGV: members per step, the
    /// schema version that has counters (a store at it or above needs no rebuild), the
    /// schema version to write when done. The first step clears the counters and starts at
    /// the first member; each step counts the next members after the cursor (the provider
    /// part of a member: up to its first NUL not followed by 0xFF) and moves the cursor;
    /// the last deletes the cursor and writes the schema version. Returns 1 when the
    /// counters are complete, 0 when more steps are needed. Short steps keep the server
    /// responsive; writers keep the counted part exact meanwhile (see ``upsert``).
    static let rebuildCounts = """
        local cursor = redis.call('GET', KEYS[3])
        if not cursor then
          local version = tonumber(redis.call('GET', KEYS[4]) or '0')
          if version and version >= tonumber(ARGV[2]) then return 1 end
          redis.call('DEL', KEYS[2])
          cursor = '-'
        end
        local step = tonumber(ARGV[1])
        local members = redis.call('ZRANGEBYLEX', KEYS[1], cursor, '+', 'LIMIT', 0, step)
        for _, m in ipairs(members) do
          local stop = #m + 1
          local from = 1
          while true do
            local z = string.find(m, '\0', from, true)
            if not z then break end
            if string.byte(m, z + 1) == 255 then
              from = z + 2
            else
              stop = z
              break
            end
          end
          redis.call('HINCRBY', KEYS[2], string.sub(m, 1, stop - 1), 1)
        end
        if #members < step then
          redis.call('DEL', KEYS[3])
          redis.call('SET', KEYS[4], ARGV[3])
          return 1
        end
        redis.call('SET', KEYS[3], '(' .. members[#members])
        return 0
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

    static let all = [
        upsert, take, purge, delete, rebuildCounts,
        tokenSetSave, tokenSetReplace, acquireRefreshLease, releaseRefreshLease,
    ]
}
