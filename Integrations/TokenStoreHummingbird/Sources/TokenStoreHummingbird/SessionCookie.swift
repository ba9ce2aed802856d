import Foundation
import Hummingbird

/// The session cookie's value: a random id, and the checks on what a browser sends back.
enum SessionCookie {
    /// 32 random bytes (256 bits) from the system's CSPRNG, base64url without padding.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64URL.encode(bytes)
    }

    /// The cookie's value when it looks like an id this code made (or an app's opaque id
    /// of sane length and alphabet); anything else is ignored, as if absent.
    static func value(named name: String, in request: Request) -> String? {
        guard let value = request.cookies[name]?.value, isWellFormed(value) else { return nil }
        return value
    }

    static func isWellFormed(_ value: String) -> Bool {
        (16...256).contains(value.utf8.count) && value.utf8.allSatisfy(Base64URL.isAlphabet)
    }

    /// Whether the request came to a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`):
    /// its authority (the Host header of HTTP/1.1, `:authority` of HTTP/2).
    static func isLoopback(_ request: Request) -> Bool {
        isLoopback(authority: request.head.authority)
    }

    static func isLoopback(authority: String?) -> Bool {
        guard let authority else { return false }
        let host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else {
            host = authority.split(separator: ":", maxSplits: 1).first ?? ""
        }
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered.hasSuffix(".localhost") || lowered == "::1" { return true }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// base64url (RFC 4648 section 5) without padding: safe in cookie values and URLs.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}

/// Paths the app may be sent back to: its own, never another site.
enum LocalPath {
    /// `/x` but not `//host` or `/\host` (which browsers read as another host), and no
    /// control characters.
    static func isLocal(_ path: String) -> Bool {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.count > 1, bytes[1] == UInt8(ascii: "/") || bytes[1] == UInt8(ascii: "\\") { return false }
        return bytes.count <= 2048 && !bytes.contains { $0 < 0x20 || $0 == 0x7F }
    }
}
