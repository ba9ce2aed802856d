import CTokenStoreOpenSSL

/// A growable byte buffer written through a raw pointer: the signer builds a request's
/// encoded parameters, base string, signature and header in one of these.
///
/// `[UInt8].append` checks uniqueness and capacity on every byte; here the capacity is
/// ensured once per segment (`reserve`) and bytes are stored unchecked. Offsets, not
/// pointers, are kept across writes, so growing (which moves the bytes) is safe.
/// Noncopyable: the one owner frees the memory when it goes out of scope.
///
/// The buffer is on the heap: `withUnsafeTemporaryAllocation` above 1 KiB asks the runtime
/// for the thread's stack bounds, which costs more than the one malloc it would save.
struct OAuth1ByteWriter: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        self.base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Overwrites the whole buffer (`OPENSSL_cleanse`), for one that held secrets or key
    /// material.
    func wipe() {
        OPENSSL_cleanse(base, capacity)
    }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        moved.update(from: base, count: count)
        OPENSSL_cleanse(base, capacity)  // the old copy may hold secrets too
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

    /// Counts `extra` bytes that a C function wrote past ``count`` into reserved room.
    mutating func advance(by extra: Int) {
        precondition(extra >= 0 && count + extra <= capacity, "wrote past the reserved room")
        count += extra
    }

    /// Appends raw bytes (from outside this buffer).
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    /// Appends `string`'s UTF-8 and returns the new ``count`` (where it ends).
    @discardableResult
    mutating func append(_ string: String) -> Int {
        var string = string
        string.withUTF8 { append($0) }
        return count
    }

    /// Appends a copy of the bytes at `range` of this buffer.
    mutating func append(offsets range: Range<Int>) {
        reserve(range.count)
        (base + count).update(from: base + range.lowerBound, count: range.count)
        count += range.count
    }

    /// Appends the percent-encoding of the bytes at `range` of this buffer.
    mutating func appendEncoded(offsets range: Range<Int>) {
        reserve(3 * range.count)
        for index in range { putEncoded(base[index]) }
    }

    /// Appends the ASCII text `literal` (short constants such as `", "`).
    mutating func append(ascii literal: StaticString) {
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        append(bytes)
    }

    /// Appends `byte` percent-encoded per RFC 5849 section 3.6; 3 bytes reserved.
    @inline(__always)
    mutating func putEncoded(_ byte: UInt8) {
        count += OAuth1PercentEncoding.writeEncoded(byte, to: base + count)
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

    /// The bytes in `range` as a string (they are UTF-8 wherever this is called).
    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes(range), as: UTF8.self)
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
