import TokenStoreKit

// Operations over several buckets of a spread store (see ``RedisStoreLayout``): each
// bucket's part is one atomic step on one slot, as an operation on a one-bucket store is.
extension RedisTokenStore {
    /// The most per-bucket calls of one operation in flight at once: enough to overlap the
    /// round trips to a cluster's nodes, few enough to leave the pool to other callers.
    static let bucketCallsInFlight = 8

    /// `body(item)` for every item, up to ``bucketCallsInFlight`` at once, results in the
    /// items' order. The first error cancels the rest and is thrown; calls already done
    /// stay done. One item runs inline, without a task.
    func concurrently<Item: Sendable, Result: Sendable>(
        _ items: [Item], _ body: @escaping @Sendable (Item) async throws -> Result
    ) async throws -> [Result] {
        if items.count == 1 { return [try await body(items[0])] }
        return try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: items.count)
            var next = 0
            func start() {
                let index = next
                next += 1
                group.addTask { (index, try await body(items[index])) }
            }
            while next < min(items.count, Self.bucketCallsInFlight) { start() }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < items.count { start() }
            }
            return results.compactMap { $0 }
        }
    }

    /// `items` in groups by bucket (`bucket(item)`), each group in the items' order, with
    /// its bucket's keys; empty buckets left out.
    static func grouped<Item>(
        _ items: [Item], _ layout: RedisStoreLayout, bucket: (Item) -> Int
    ) -> [(keys: RedisKeyLayout, items: [Item])] {
        if layout.count == 1 { return items.isEmpty ? [] : [(layout.base, items)] }
        var groups = [[Item]](repeating: [], count: layout.count)
        for item in items { groups[bucket(item)].append(item) }
        return groups.enumerated().compactMap { index, group in group.isEmpty ? nil : (layout.buckets[index], group) }
    }

    /// The members a listing reads from each bucket's index at once: the page and one more
    /// for one bucket; for more, enough that a page of keys spread evenly is mostly read
    /// in one call per bucket, at least 16 (so B buckets hold at most B x chunk members).
    static func mergeChunk(pageSize: Int, buckets: Int) -> Int {
        buckets == 1 ? pageSize + 1 : max(16, 2 * pageSize / buckets) + 1
    }
}

/// The members of one sorted-set index per bucket (`ZRANGEBYLEX`, score 0), read as one
/// sequence in byte order: a k-way merge that reads each bucket in chunks after the last
/// member it gave, refilling a bucket only when the merge needs its next member, so memory
/// stays at most B chunks whatever the store holds. With one bucket it reads exactly as
/// the single index was read.
struct RedisIndexMerge {
    /// Each bucket's index key and slot.
    private let indexes: [(key: [UInt8], slot: UInt16)]
    private let chunk: Int
    private let operation: String
    /// Each bucket's members read and not yet given.
    private var buffers: [ArraySlice<[UInt8]>]
    /// Each bucket's next `ZRANGEBYLEX` start: `(` and the last member read.
    private var starts: [[UInt8]]
    /// Buckets whose last read returned less than a chunk: nothing more to read.
    private var exhausted: [Bool]
    /// Buckets with an empty buffer to read before the next member can be chosen.
    private var pending: [Int]
    /// Buckets with members in their buffer, as a binary min-heap by their first member.
    private var heap: [Int] = []

    /// A merge from just after `cursor` (an index member; `nil`: from the start) in every
    /// bucket.
    init(_ operation: String, indexes: [(key: [UInt8], slot: UInt16)], after cursor: [UInt8]?, chunk: Int) {
        self.operation = operation
        self.indexes = indexes
        self.chunk = chunk
        buffers = Array(repeating: [], count: indexes.count)
        starts = Array(repeating: cursor.map { [UInt8(ascii: "(")] + $0 } ?? [UInt8(ascii: "-")], count: indexes.count)
        exhausted = Array(repeating: false, count: indexes.count)
        pending = Array(indexes.indices)
    }

    /// The next member in byte order and its bucket, or `nil` when every index is read.
    mutating func next(_ store: RedisTokenStore) async throws -> (bucket: Int, member: [UInt8])? {
        try await refill(store)
        guard let bucket = popMin() else { return nil }
        let member = buffers[bucket].removeFirst()
        if !buffers[bucket].isEmpty {
            push(bucket)
        } else if !exhausted[bucket] {
            pending.append(bucket)
        }
        return (bucket, member)
    }

    /// Whether a member follows (reads what it must to know).
    mutating func hasNext(_ store: RedisTokenStore) async throws -> Bool {
        try await refill(store)
        return !heap.isEmpty
    }

    /// Reads the next chunk of every pending bucket, concurrently.
    private mutating func refill(_ store: RedisTokenStore) async throws {
        guard !pending.isEmpty else { return }
        let requests = pending.map { (bucket: $0, key: indexes[$0].key, slot: indexes[$0].slot, start: starts[$0]) }
        pending.removeAll()
        let operation = self.operation
        let chunk = self.chunk
        let replies = try await store.concurrently(requests) { request in
            let reply = try await store.roundTripCommand(operation, slot: request.slot) { out in
                out.command(7)
                out.argument("ZRANGEBYLEX")
                out.argument(request.key)
                out.argument(request.start)
                out.argument("+")
                out.argument("LIMIT")
                out.argument("0")
                out.argument(chunk)
            }
            return try store.bulkArray(reply, operation: operation)
        }
        for (request, members) in zip(requests, replies) {
            exhausted[request.bucket] = members.count < chunk
            guard let last = members.last else { continue }
            starts[request.bucket] = [UInt8(ascii: "(")] + last
            buffers[request.bucket] = members[...]
            push(request.bucket)
        }
    }

    // MARK: Heap

    /// Whether bucket `a`'s first member sorts before `b`'s (ties, which only a damaged
    /// store has, by bucket).
    private func less(_ a: Int, _ b: Int) -> Bool {
        let first = buffers[a].first ?? [], second = buffers[b].first ?? []
        if first == second { return a < b }
        return first.lexicographicallyPrecedes(second)
    }

    private mutating func push(_ bucket: Int) {
        heap.append(bucket)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popMin() -> Int? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, less(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count, less(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
