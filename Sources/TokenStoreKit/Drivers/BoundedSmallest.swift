/// The `capacity` smallest keys seen, with their values, in ascending order.
package struct BoundedSmallest<Key: Comparable, Value> {
    package let capacity: Int
    package private(set) var keys: [Key] = []
    package private(set) var values: [Value] = []

    package init(capacity: Int) { self.capacity = capacity }

    /// Whether `key` would be kept (so a caller can skip reading a file for it).
    package func admits(_ key: Key) -> Bool {
        keys.count < capacity || (keys.last.map { key < $0 } ?? true)
    }

    package mutating func insert(_ key: Key, _ value: Value) {
        guard admits(key) else { return }
        var low = 0
        var high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if keys[mid] < key { low = mid + 1 } else { high = mid }
        }
        keys.insert(key, at: low)
        values.insert(value, at: low)
        if keys.count > capacity {
            keys.removeLast()
            values.removeLast()
        }
    }
}
