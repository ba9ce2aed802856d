import Foundation
import OAuth1
import TokenStoreKit

/// Who is signed in, in a cookie the app signs: the provider, the user id, an expiry and an
/// HMAC-SHA256 with the app's cookie key, so any process holding the key (a second app
/// process on another port) trusts it. No token or secret is in it; the token (or token
/// set) is read from the store on every request, so one deleted there signs the user out
/// everywhere.
struct SignedInCookie {
    static let name = "signin_app_user"
    /// How long a sign-in lasts.
    static let lifetime: Int64 = 7 * 24 * 3600

    let key: String

    /// The cookie value for `user`, valid until `now + lifetime`.
    func value(user: AccessTokenKey, now: Int64) throws -> String {
        let (expiry, overflow) = now.addingReportingOverflow(Self.lifetime)
        let payload = Self.base64URL(Data(user.provider.utf8)) + "." + Self.base64URL(Data(user.userID.utf8)) + "."
            + String(overflow ? Int64.max : expiry)
        return payload + "." + Self.toURL(try SignatureMethod.hmacSHA256.sign(baseString: payload, clientSecret: key, tokenSecret: ""))
    }

    /// The user of a valid, unexpired cookie value, else `nil`.
    func user(from value: String?, now: Int64) -> AccessTokenKey? {
        guard let value, value.utf8.count < 1024 else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, let expiry = Int64(parts[2]), expiry > now else { return nil }
        let payload = parts[0] + "." + parts[1] + "." + parts[2]
        guard SignatureMethod.hmacSHA256.verify(
            signature: Self.fromURL(String(parts[3])), baseString: String(payload), clientSecret: key, tokenSecret: "")
        else { return nil }
        guard let provider = Self.text(parts[0]), let userID = Self.text(parts[1]) else { return nil }
        return AccessTokenKey(provider: provider, userID: userID)
    }

    private static func text(_ part: Substring) -> String? {
        Data(base64Encoded: fromURL(String(part))).flatMap { String(data: $0, encoding: .utf8) }
    }

    static func base64URL(_ data: Data) -> String { toURL(data.base64EncodedString()) }

    static func toURL(_ base64: String) -> String {
        base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func fromURL(_ text: String) -> String {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return base64
    }
}
