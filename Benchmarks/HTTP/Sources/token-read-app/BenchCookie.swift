import Foundation
import OAuth1

/// The signed-in cookie, checked the way the example app (SignInApp) checks its own: the
/// user id, an expiry and an HMAC-SHA256 over both with the app's key, so each request
/// pays for the same cookie work as a real page before it reads the token.
struct BenchCookie: Sendable {
    static let name = "bench_user"
    /// Long enough to outlast any run.
    static let lifetime: Int64 = 24 * 3600

    let key: String

    /// The cookie value for `userID`, valid for ``lifetime`` from `now`.
    func value(userID: String, now: Int64) throws -> String {
        let (expiry, overflow) = now.addingReportingOverflow(Self.lifetime)
        let payload = Self.base64URL(Data(userID.utf8)) + "." + String(overflow ? Int64.max : expiry)
        let signature = try SignatureMethod.hmacSHA256.sign(baseString: payload, clientSecret: key, tokenSecret: "")
        return payload + "." + Self.base64URL(signature)
    }

    /// The user id of a valid, unexpired cookie value, else `nil`.
    func userID(from value: String?, now: Int64) -> String? {
        guard let value, value.utf8.count < 1024 else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int64(parts[1]), expiry > now else { return nil }
        let payload = parts[0] + "." + parts[1]
        guard SignatureMethod.hmacSHA256.verify(
            signature: Self.standardBase64(parts[2]), baseString: String(payload), clientSecret: key, tokenSecret: "")
        else { return nil }
        guard let data = Data(base64Encoded: Self.standardBase64(parts[0])) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    private static func base64URL(_ data: Data) -> String { base64URL(data.base64EncodedString()) }

    private static func base64URL(_ base64: String) -> String {
        String(base64.compactMap { character -> Character? in
            switch character {
            case "+": "-"
            case "/": "_"
            case "=": nil
            default: character
            }
        })
    }

    private static func standardBase64(_ text: Substring) -> String {
        var base64 = String(text.map { character -> Character in
            switch character {
            case "-": "+"
            case "_": "/"
            default: character
            }
        })
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return base64
    }
}
