/// The `capacity` smallest keys seen, with their values, in ascending order.
struct BoundedSmallest<Key: Comparable, Value> {
    let capacity: Int
    private(set) var keys: [Key] = []
    private(set) var values: [Value] = []

    init(capacity: Int) { self.capacity = capacity }

    /// Whether `key` would be kept (so a caller can skip reading a file for it).
    func admits(_ key: Key) -> Bool {
        keys.count < capacity || (keys.last.map { key < $0 } ?? true)
    }

    mutating func insert(_ key: Key, _ value: Value) {
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
