import CTokenStoreOpenSSL
import Foundation
import OAuth1
import TokenStoreKit

/// One AES-256 key for sealing token secrets, with the id stored beside every ciphertext
/// it makes.
///
/// The material never appears in ``description``, `debugDescription` or a reflection
/// mirror. It is kept in a buffer of its own that is wiped (`OPENSSL_cleanse`) when the last
/// copy of the key is released; the arrays and strings it was made from are the caller's
/// to clear, and a memory dump of a running process still reveals live keys.
/// Equality compares ids and material (in constant time); hashing uses the id only.
public struct SealingKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The key size AES-256 needs.
    public static let byteCount = 32

    /// The key's id: 1-64 characters of `A-Z a-z 0-9 . _ -`.
    public let id: String
    let material: SealingKeyMaterial

    /// Creates a key from its id and 32 bytes of material.
    ///
    /// - Throws: ``SealingKeyError`` with ``SealingKeyError/Code/invalidKeyID`` or
    ///   ``SealingKeyError/Code/wrongKeyLength``.
    public init(id: String, material: [UInt8]) throws {
        try Self.validate(id: id)
        guard material.count == Self.byteCount else {
            throw SealingKeyError(
                .wrongKeyLength, "key '\(id)' has \(material.count) bytes; AES-256 needs \(Self.byteCount)")
        }
        self.id = id
        self.material = SealingKeyMaterial(material)
    }

    /// Creates a key from its id and base64 (or base64url) material.
    ///
    /// - Throws: ``SealingKeyError`` when the id or the material is invalid.
    public init(id: String, base64: String) throws {
        try Self.validate(id: id)
        guard var bytes = OAuth1Base64.decode(base64) else {
            throw SealingKeyError(.invalidBase64, "key '\(id)' is not valid base64")
        }
        defer { bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        try self.init(id: id, material: bytes)
    }

    /// A new key of 32 random bytes from OpenSSL's `RAND_bytes`.
    ///
    /// - Throws: ``SealingKeyError`` when the id is invalid or the generator fails.
    public static func generate(id: String) throws -> SealingKey {
        var bytes = [UInt8](repeating: 0, count: byteCount)
        defer { bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        let status = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(byteCount)) }
        guard status == 1 else { throw SealingKeyError(.randomFailed, "RAND_bytes failed; no key was made") }
        return try SealingKey(id: id, material: bytes)
    }

    /// The key as a key-file line, `id base64key`. This is the one place material is shown.
    public var keyFileLine: String {
        "\(id) \(material.withBytes { OAuth1Base64.encode($0) })"
    }

    public static func == (lhs: SealingKey, rhs: SealingKey) -> Bool {
        lhs.id == rhs.id && lhs.material.isEqual(to: rhs.material)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    public var description: String { "SealingKey(\(id), material: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id, "material": "<redacted>"]) }

    static func validate(id: String) throws {
        let allowed = id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard !id.isEmpty, id.utf8.count <= 64, allowed else {
            throw SealingKeyError(
                .invalidKeyID, "key id '\(id.prefix(64))' must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
    }
}
