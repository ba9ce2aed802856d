/// What the Redis floor sends that the driver builds internally.
enum RedisFloorFixture {
    /// A copy of the driver's access-token upsert (`RedisScripts.upsert` in
    /// Sources/TokenStoreRedis/Schema/RedisScripts.swift), so the floor's put does the same
    /// server-side work. Keep in step with the driver.
    static let upsertScript = """
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

    /// A request-token record the size of the driver's netstring encoding of the fixture.
    static let requestRecord: [UInt8] = {
        var out: [UInt8] = []
        func netstring(_ text: String) { out += Array("\(text.utf8.count):\(text),".utf8) }
        for (name, value) in [
            ("v", "1"), ("provider", Fixtures.provider), ("token", "bench-Redis-floor-00000-000000"),
            ("secret", Fixtures.secret), ("callback_url", Fixtures.callbackURL),
            ("created_at", "1700000000000"), ("expires_at", "1700000600000"),
        ] {
            netstring(name)
            netstring(value)
        }
        return out
    }()
}
