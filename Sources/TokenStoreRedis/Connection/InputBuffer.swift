/// The bytes a connection has read and not yet consumed: one allocation, reused for every
/// exchange, doubled when a reply does not fit. The owner frees it with ``deallocate()``.
struct InputBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    /// Bytes read so far; the owner resets it to zero once they are consumed.
    var count = 0

    init(capacity: Int = 16 * 1024) {
        self.capacity = capacity
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    /// Doubles the capacity, keeping the bytes read.
    mutating func grow() {
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
        bigger.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    func deallocate() {
        base.deallocate()
    }
}
