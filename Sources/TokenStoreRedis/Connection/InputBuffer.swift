/// The bytes a connection has read and not yet consumed: one allocation, reused for every
/// exchange, doubled when a reply does not fit, and given back once a large exchange is
/// over (a connection keeps at most ``retainedCapacity`` between exchanges). The owner
/// frees it with ``deallocate()``.
struct InputBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    /// Bytes read so far; the owner resets it to zero once they are consumed.
    var count = 0
    /// The capacity kept between exchanges: room for the store's everyday replies and
    /// pipelines, so they never reallocate.
    let retainedCapacity: Int

    init(capacity: Int = 16 * 1024, retainedCapacity: Int = 64 * 1024) {
        self.capacity = capacity
        self.retainedCapacity = max(capacity, retainedCapacity)
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

    /// Empties the buffer, and gives back its memory beyond ``retainedCapacity`` after a
    /// large reply (which would otherwise stay allocated for the connection's life).
    mutating func reset() {
        count = 0
        guard capacity > retainedCapacity else { return }
        base.deallocate()
        capacity = retainedCapacity
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    func deallocate() {
        base.deallocate()
    }
}
