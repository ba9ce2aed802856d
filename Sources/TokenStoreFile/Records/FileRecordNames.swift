import CTokenStoreOpenSSL
import TokenStoreKit

/// How the file store names its records.
///
/// A name is the hex of the key's UTF-8 bytes: any key, however hostile (`../x`, `/`,
/// newlines, emoji), becomes a safe file name of `[0-9a-f.]`, and hex keeps byte order.
/// Keys too long for one file name (NAME_MAX is 255 bytes) are named `h-<SHA-256>.json`
/// instead; such records carry their key inside and listing reads it from there.
enum FileRecordNames {
    static let suffix = ".json"
    static let maxNameLength = 240
    private static let digits = Array("0123456789abcdef".utf8)

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: Substring) -> String? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    private static func hashed(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        return "h-" + hex(digest.prefix(Int(length))) + suffix
    }

    /// The file name of an access token.
    static func access(_ key: AccessTokenKey) -> String {
        let name = hex(key.provider.utf8) + "." + hex(key.userID.utf8) + suffix
        if name.utf8.count <= maxNameLength { return name }
        return hashed(Array(key.provider.utf8) + [0] + Array(key.userID.utf8))
    }

    /// The file name of a token set: named like the access token of the same key (the two
    /// live in different directories), so ``parseAccess(_:)`` parses it too.
    static func tokenSet(_ key: AccessTokenKey) -> String {
        access(key)
    }

    /// The file name of a request token.
    static func request(_ token: String) -> String {
        let name = hex(token.utf8) + suffix
        if name.utf8.count <= maxNameLength { return name }
        return hashed(Array(token.utf8))
    }

    /// What a directory entry is.
    enum Entry {
        /// A record whose key is in its name.
        case named(String, String?)
        /// A record whose key is inside it.
        case hashed
        /// Not a record of ours: temp files, claims, anything foreign.
        case other
    }

    /// Parses an access directory entry into its key, when the key is in the name.
    static func parseAccess(_ name: String) -> Entry {
        guard name.hasSuffix(suffix) else { return .other }
        if name.hasPrefix("h-") { return .hashed }
        let stem = name.dropLast(suffix.utf8.count)
        let parts = stem.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let provider = unhex(parts[0]), let userID = unhex(parts[1]) else { return .other }
        return .named(provider, userID)
    }

    /// Parses a request directory entry into its token name, when it is in the file name.
    static func parseRequest(_ name: String) -> Entry {
        guard name.hasSuffix(suffix) else { return .other }
        if name.hasPrefix("h-") { return .hashed }
        guard let token = unhex(name.dropLast(suffix.utf8.count)) else { return .other }
        return .named(token, nil)
    }
}
