import TokenStoreKit

// Access tokens and token sets are both hashes listed through a sorted-set index of
// provider/user members: one keyset page reader serves both.
extension RedisTokenStore {
    /// One page of `index` after `cursor` (`ZRANGEBYLEX`), then the page's hashes, named by
    /// `hashKey`, read in one pipeline and decoded by `decode`. `member` names an index
    /// entry in the error for one this driver did not write.
    func listKeyed<Record>(
        _ operation: String, index: [UInt8], after cursor: AccessTokenKey?, limit: Int, member memberName: String,
        hashKey: ([UInt8]) -> [UInt8],
        decode: (RedisReply, AccessTokenKey) throws -> Record?
    ) async throws -> (records: [Record], nextCursor: AccessTokenKey?) {
        try checkLimit(limit, operation)
        let pageSize = min(limit, Self.maxPage)
        let start: [UInt8] = cursor.map { [UInt8(ascii: "(")] + RedisKeyLayout.member(of: $0) } ?? [UInt8(ascii: "-")]
        let reply = try await roundTripCommand(operation, slot: keys.slot) { out in
            out.command(7)
            out.argument("ZRANGEBYLEX")
            out.argument(index)
            out.argument(start)
            out.argument("+")
            out.argument("LIMIT")
            out.argument("0")
            out.argument(pageSize + 1)
        }
        let members = try bulkArray(reply, operation: operation)
        let pageMembers = Array(members.prefix(pageSize))
        if pageMembers.isEmpty { return ([], nil) }
        let hashes = try await roundTrip(operation, slot: keys.slot) { out in
            for member in pageMembers {
                out.command(2)
                out.argument("HGETALL")
                out.argument(hashKey(member))
            }
        }
        var records: [Record] = []
        records.reserveCapacity(pageMembers.count)
        for (member, hash) in zip(pageMembers, hashes) {
            guard let key = RedisKeyLayout.key(ofMember: member) else {
                throw TokenStoreError(
                    .corruptedRecord, store: displayName, operation: operation,
                    message: "\(memberName) is not a provider/user pair written by this driver",
                    record: "index member of \(member.count) bytes")
            }
            // A record deleted between the two round trips is simply not listed.
            if let record = try decode(hash, key) { records.append(record) }
        }
        let next = members.count > pageSize ? pageMembers.last.flatMap(RedisKeyLayout.key(ofMember:)) : nil
        return (records, next)
    }
}
