import TokenStoreKit

/// The keys of a whole store: its fixed bucket count B and one ``RedisKeyLayout`` per
/// bucket, so a store's records spread over the slots of a Redis Cluster while every
/// operation still names keys of one slot.
///
/// ```
/// B = 1 (schema 3, the default and every store written before buckets):
///   every key under {prefix}, exactly as RedisKeyLayout describes
/// B > 1 (schema 4):
///   {prefix}:schema      string  "4"
///   {prefix}:buckets     string  B, in decimal
///   {prefix{<n_i>}:...   bucket i's keys (rt:, at:, ts:, idx:...), RedisKeyLayout's layout
/// ```
///
/// These functions are part of the stored format, fixed forever (every process of every
/// release must compute the same keys):
///
/// - **Tag of bucket i** (0 ≤ i < B): `<prefix>{<n>`, `n` the smallest integer ≥ 0 (in
///   decimal) whose slot (``RedisSlot``: CRC16 of the tag mod 16384) lies in the middle
///   half of the i-th of B equal slot ranges: with `lo = i*16384/B` and
///   `hi = (i+1)*16384/B` (integer division) and `q = (hi-lo)/4`, in `[lo+q, hi-q)`. So a
///   cluster whose slots are split evenly over N primaries (as `redis-cli --cluster create`
///   does) serves B/N buckets on each, and the tags keep their place when a split is a
///   little off. The `{` inside the tag is the one printable character a prefix cannot
///   hold, so no other store's tag (`{other}` or `{other{<n>}`) equals a bucket's and
///   stores under distinct prefixes never share a key (`<prefix>:<n>` would be the tag of
///   a one-bucket store with prefix `<prefix>:<n>`).
/// - **Bucket of a request token**: the 64-bit FNV-1a hash of its UTF-8 bytes (offset basis
///   0xcbf29ce484222325, prime 0x100000001b3) modulo B.
/// - **Bucket of an access token or token set**: the same hash of its index member
///   (``RedisKeyLayout/member(of:)``) modulo B; an access token and the token set of one
///   provider and user id share a bucket.
package final class RedisStoreLayout: Sendable {
    /// The most buckets a store may have (and `buckets=` accept).
    package static let maxBuckets = 1024

    /// The keys under `{prefix}`: the schema version key; for one bucket, every key.
    package let base: RedisKeyLayout
    /// `{prefix}:buckets`: the bucket count of a spread store (schema 4).
    package let bucketCountKey: [UInt8]
    /// One layout per bucket; `[base]` for one bucket.
    package let buckets: [RedisKeyLayout]

    /// The layout of `count` buckets (1...``maxBuckets``; 1 is the single-tag layout).
    package init(prefix: String, buckets count: Int) {
        base = RedisKeyLayout(prefix: prefix)
        bucketCountKey = Array("{\(prefix)}:buckets".utf8)
        if count <= 1 {
            buckets = [base]
        } else {
            buckets = Self.tagNumbers(prefix: prefix, buckets: count).map { RedisKeyLayout(tag: Self.tag(prefix: prefix, number: $0)) }
        }
    }

    /// B.
    package var count: Int { buckets.count }

    /// The layout of the bucket holding request token `token`.
    package func keys(forRequestToken token: String) -> RedisKeyLayout {
        buckets.count == 1 ? base : buckets[bucket(ofRequestToken: token)]
    }

    /// The layout of the bucket holding the access token and token set of `key`.
    package func keys(for key: AccessTokenKey) -> RedisKeyLayout {
        buckets.count == 1 ? base : buckets[bucket(of: key)]
    }

    /// The bucket of request token `token`: FNV-1a of its UTF-8 bytes, mod B.
    package func bucket(ofRequestToken token: String) -> Int {
        Int(Self.fnv1a(token.utf8) % UInt64(buckets.count))
    }

    /// The bucket of `key`: FNV-1a of its index member, mod B.
    package func bucket(of key: AccessTokenKey) -> Int {
        var hash = Self.fnvOffset
        for byte in key.provider.utf8 {
            hash = Self.fnvStep(hash, byte)
            if byte == 0 { hash = Self.fnvStep(hash, 0xFF) }
        }
        hash = Self.fnvStep(hash, 0)
        for byte in key.userID.utf8 { hash = Self.fnvStep(hash, byte) }
        return Int(hash % UInt64(buckets.count))
    }

    // MARK: The fixed functions

    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x100_0000_01b3

    static func fnvStep(_ hash: UInt64, _ byte: UInt8) -> UInt64 { (hash ^ UInt64(byte)) &* fnvPrime }

    /// 64-bit FNV-1a.
    package static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash = fnvOffset
        for byte in bytes { hash = fnvStep(hash, byte) }
        return hash
    }

    /// The first slot of bucket `index`'s range (`buckets` for the end of the last).
    static func rangeStart(_ index: Int, buckets: Int) -> Int { index * RedisSlot.count / buckets }

    /// The hash tag `<prefix>{<n>` (between the key's first `{` and the next `}`).
    static func tag(prefix: String, number: Int) -> String { "\(prefix){\(number)" }

    /// The `n` of each bucket's tag `<prefix>{<n>`, found in one pass over n = 0, 1, ...:
    /// each `n` lands in one bucket's range, and is that bucket's when it is the first in
    /// the middle half. Every bucket has one after a few times B ln B tries; the bound only
    /// keeps the loop finite (a bucket still without one would take `limit + i`).
    static func tagNumbers(prefix: String, buckets: Int) -> [Int] {
        var numbers = [Int?](repeating: nil, count: buckets)
        var missing = buckets
        let head = Array("\(prefix){".utf8)
        let limit = 1 << 22
        var n = 0
        while missing > 0, n < limit {
            let slot = Int(RedisSlot.crc16(head + Array(String(n).utf8))) & (RedisSlot.count - 1)
            var bucket = min(slot * buckets / RedisSlot.count, buckets - 1)
            while bucket + 1 < buckets, slot >= rangeStart(bucket + 1, buckets: buckets) { bucket += 1 }
            while bucket > 0, slot < rangeStart(bucket, buckets: buckets) { bucket -= 1 }
            let low = rangeStart(bucket, buckets: buckets)
            let high = rangeStart(bucket + 1, buckets: buckets)
            let quarter = (high - low) / 4
            if numbers[bucket] == nil, slot >= low + quarter, slot < high - quarter {
                numbers[bucket] = n
                missing -= 1
            }
            n += 1
        }
        return numbers.enumerated().map { $1 ?? limit + $0 }
    }
}
