/// Keys kept in ascending order for keyset paging: a binary search finds where a cursor
/// falls, so a page costs O(log n + limit) instead of a sort of the whole store.
struct SortedKeys<Key: Comparable>: Sendable where Key: Sendable {
    private(set) var keys: [Key] = []

    /// The index of the first key not below `key`.
    func lowerBound(_ key: Key) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if keys[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The index of the first key above `key`.
    func upperBound(_ key: Key) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if key < keys[mid] { high = mid } else { low = mid + 1 }
        }
        return low
    }

    mutating func insert(_ key: Key) {
        let index = lowerBound(key)
        if index < keys.count, !(key < keys[index]) { return }
        keys.insert(key, at: index)
    }

    mutating func remove(_ key: Key) {
        let index = lowerBound(key)
        if index < keys.count, !(key < keys[index]) { keys.remove(at: index) }
    }

    mutating func removeAll() { keys.removeAll() }
}

/// A request token's name compared by its UTF-8 bytes, the order every driver lists in.
package struct ByteOrderedString: Comparable, Hashable, Sendable {
    package var value: String
    package init(_ value: String) { self.value = value }
    package static func < (lhs: ByteOrderedString, rhs: ByteOrderedString) -> Bool {
        lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
    }
}
