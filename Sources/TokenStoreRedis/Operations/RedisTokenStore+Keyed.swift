import TokenStoreKit

// Access tokens and token sets are both hashes listed through a sorted-set index of
// provider/user members: one keyset page reader serves both.
extension RedisTokenStore {
    /// One page of the indexes `index` names after `cursor` (`ZRANGEBYLEX`; in a spread
    /// store merged over the buckets in key order, see `RedisIndexMerge`), then the
    /// page's hashes, named by `hashKey`, read in one pipeline per bucket and decoded by
    /// `decode`. `member` names an index entry in the error for one this driver did not
    /// write. The cursor is the page's last key: the next page starts after it in every
    /// bucket.
    func listKeyed<Record>(
        _ operation: String, index: (RedisKeyLayout) -> [UInt8], after cursor: AccessTokenKey?, limit: Int,
        member memberName: String,
        hashKey: (RedisKeyLayout, [UInt8]) -> [UInt8],
        decode: (RedisReply, AccessTokenKey) throws -> Record?
    ) async throws -> (records: [Record], nextCursor: AccessTokenKey?) {
        try checkLimit(limit, operation)
        let pageSize = min(limit, Self.maxPage)
        let layout = self.layout
        var merge = RedisIndexMerge(
            operation, indexes: layout.buckets.map { (index($0), $0.slot) }, after: cursor.map(RedisKeyLayout.member(of:)),
            chunk: Self.mergeChunk(pageSize: pageSize, buckets: layout.count))
        var pageMembers: [(bucket: Int, member: [UInt8])] = []
        while pageMembers.count < pageSize, let next = try await merge.next(self) { pageMembers.append(next) }
        if pageMembers.isEmpty { return ([], nil) }
        let more = try await merge.hasNext(self)
        // Each bucket's hash keys, then one pipeline per bucket.
        var positions = [[Int]](repeating: [], count: layout.count)
        for (position, entry) in pageMembers.enumerated() { positions[entry.bucket].append(position) }
        let groups = positions.enumerated().compactMap { bucket, list in
            list.isEmpty ? nil : (slot: layout.buckets[bucket].slot, positions: list, keys: list.map { hashKey(layout.buckets[bucket], pageMembers[$0].member) })
        }
        let replies = try await concurrently(groups) { group in
            try await self.roundTrip(operation, slot: group.slot) { out in
                for key in group.keys {
                    out.command(2)
                    out.argument("HGETALL")
                    out.argument(key)
                }
            }
        }
        var hashes = [RedisReply](repeating: .null, count: pageMembers.count)
        for (group, values) in zip(groups, replies) {
            for (position, value) in zip(group.positions, values) { hashes[position] = value }
        }
        var records: [Record] = []
        records.reserveCapacity(pageMembers.count)
        for ((_, member), hash) in zip(pageMembers, hashes) {
            guard let key = RedisKeyLayout.key(ofMember: member) else {
                throw TokenStoreError(
                    .corruptedRecord, store: displayName, operation: operation,
                    message: "\(memberName) is not a provider/user pair written by this driver",
                    record: "index member of \(member.count) bytes")
            }
            // A record deleted between the two round trips is simply not listed.
            if let record = try decode(hash, key) { records.append(record) }
        }
        let next = more ? pageMembers.last.flatMap { RedisKeyLayout.key(ofMember: $0.member) } : nil
        return (records, next)
    }
}
