import CTokenStoreOpenSSL
import TokenStoreKit

/// The 32 bytes of a ``SealingKey`` in memory of their own, wiped with `OPENSSL_cleanse`
/// when the last copy of the key is released.
///
/// `@unchecked Sendable`: the buffer is written once in `init`, only read afterwards, and
/// freed in `deinit` when no reference remains, so concurrent readers never race a writer.
final class SealingKeyMaterial: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<UInt8>

    init(_ bytes: [UInt8]) {
        buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = buffer.initialize(from: bytes)
    }

    deinit {
        if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
        buffer.deallocate()
    }

    var count: Int { buffer.count }

    /// Runs `body` with the bytes; the pointer must not escape.
    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(buffer))
    }

    /// Compares in constant time.
    func isEqual(to other: SealingKeyMaterial) -> Bool {
        guard count == other.count else { return false }
        return withBytes { mine in
            other.withBytes { theirs in CRYPTO_memcmp(mine.baseAddress, theirs.baseAddress, count) == 0 }
        }
    }
}
