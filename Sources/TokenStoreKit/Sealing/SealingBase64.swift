import Foundation

/// Base64 helpers: ciphertexts use unpadded base64url (safe in URLs, Redis keys, JSON);
/// keys accept standard base64 or base64url, padded or not.
enum SealingBase64 {
    static func encodeURL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func decode(_ text: String) -> [UInt8]? {
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard normalized.utf8.count % 4 != 1 else { return nil }
        while normalized.utf8.count % 4 != 0 { normalized += "=" }
        guard let data = Data(base64Encoded: normalized) else { return nil }
        return [UInt8](data)
    }
}
