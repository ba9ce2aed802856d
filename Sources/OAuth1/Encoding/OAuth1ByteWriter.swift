/// A growable byte buffer written through a raw pointer, for the signer's hot path.
///
/// `[UInt8].append` checks uniqueness and capacity on every byte; here the capacity is
/// ensured once per segment (`reserve`) and bytes are stored unchecked. Offsets, not
/// pointers, are kept across writes, so growing (which moves the bytes) is safe.
/// The owner must call ``release()`` exactly once.
///
/// The buffer is on the heap: `withUnsafeTemporaryAllocation` above 1 KiB asks the runtime
/// for the thread's stack bounds, which costs more than the one malloc it would save.
struct OAuth1ByteWriter {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        self.base = .allocate(capacity: self.capacity)
    }

    func release() { base.deallocate() }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        moved.update(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = newCapacity
    }

    /// Stores one byte; the caller has reserved room for it.
    @inline(__always)
    mutating func put(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    /// Drops every byte from `offset` on.
    mutating func truncate(to offset: Int) { count = offset }

    /// Appends raw bytes.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        for byte in bytes { put(byte) }
    }

    /// Appends the ASCII text `literal` (short constants such as `", "`).
    mutating func append(ascii literal: StaticString) {
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        append(bytes)
    }

    /// Appends `%XX` (uppercase hex) for `byte`; the caller has reserved 3 bytes.
    @inline(__always)
    mutating func putEscape(_ byte: UInt8) {
        put(UInt8(ascii: "%"))
        put(Self.hexDigit(byte >> 4))
        put(Self.hexDigit(byte & 0x0F))
    }

    /// Appends `byte` percent-encoded per RFC 5849 section 3.6; 3 bytes reserved.
    @inline(__always)
    mutating func putEncoded(_ byte: UInt8) {
        if OAuth1PercentEncoding.isUnreserved(byte) { put(byte) } else { putEscape(byte) }
    }

    /// Appends the percent-encoding of `bytes`.
    mutating func appendEncoded(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(3 * bytes.count)
        for byte in bytes { putEncoded(byte) }
    }

    /// Appends the percent-encoding of `string`'s UTF-8.
    mutating func appendEncoded(_ string: String) {
        var string = string
        string.withUTF8 { appendEncoded($0) }
    }

    /// The bytes in `range` as a buffer; valid until the next write.
    func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }
}

/// Incremental UTF-8 validation (RFC 3629: no overlongs, surrogates or values above
/// U+10FFFF), fed one byte at a time, so decoded bytes are checked as they are produced.
struct UTF8Validator {
    private var remaining = 0
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF

    /// Whether every sequence fed so far is complete.
    var isComplete: Bool { remaining == 0 }

    /// Feeds one byte; `false` when the text can no longer be valid.
    @inline(__always)
    mutating func feed(_ byte: UInt8) -> Bool {
        if remaining > 0 {
            guard byte >= low, byte <= high else { return false }
            remaining -= 1
            low = 0x80
            high = 0xBF
            return true
        }
        switch byte {
        case 0x00...0x7F: return true
        case 0xC2...0xDF: remaining = 1
        case 0xE0: remaining = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: remaining = 2
        case 0xED: remaining = 2; high = 0x9F
        case 0xF0: remaining = 3; low = 0x90
        case 0xF1...0xF3: remaining = 3
        case 0xF4: remaining = 3; high = 0x8F
        default: return false
        }
        return true
    }
}
