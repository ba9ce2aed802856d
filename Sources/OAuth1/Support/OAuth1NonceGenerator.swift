/// The source of `oauth_nonce`.
///
/// ``secureRandom`` draws 16 bytes (128 bits) from OpenSSL's CSPRNG and writes them as 32
/// lowercase hex characters, which every provider accepts. Inject a fixed generator in tests.
public struct OAuth1NonceGenerator: Sendable {
    private let make: @Sendable () throws -> String

    /// Creates a generator from a closure.
    public init(_ make: @escaping @Sendable () throws -> String) {
        self.make = make
    }

    /// The next nonce.
    ///
    /// - Throws: ``OAuth1Error`` when the random source fails; no weaker nonce is made.
    public func next() throws -> String { try make() }

    /// 128 random bits from OpenSSL `RAND_bytes`, as 32 hex characters.
    public static let secureRandom = OAuth1NonceGenerator {
        hex(try OpenSSLCrypto.randomBytes(16))
    }

    /// A generator that always returns `nonce` (for tests and reproducing signatures).
    public static func fixed(_ nonce: String) -> OAuth1NonceGenerator { OAuth1NonceGenerator { nonce } }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
