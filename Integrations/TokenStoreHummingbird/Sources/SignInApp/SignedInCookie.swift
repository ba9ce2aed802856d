import Foundation
import OAuth1
import TokenStoreKit

/// Who is signed in, in a cookie the app signs: the user id, an expiry and an HMAC-SHA256
/// with the app's cookie key, so any process holding the key (a second app process on
/// another port) trusts it. No token or secret is in it; the access token is read from
/// the store on every request, so a token deleted there signs the user out everywhere.
struct SignedInCookie {
    static let name = "signin_app_user"
    /// How long a sign-in lasts.
    static let lifetime: Int64 = 7 * 24 * 3600

    let key: String

    /// The cookie value for `userID`, valid until `now + lifetime`.
    func value(userID: String, now: Int64) throws -> String {
        let (expiry, overflow) = now.addingReportingOverflow(Self.lifetime)
        let payload = Self.base64URL(Data(userID.utf8)) + "." + String(overflow ? Int64.max : expiry)
        return payload + "." + Self.toURL(try SignatureMethod.hmacSHA256.sign(baseString: payload, clientSecret: key, tokenSecret: ""))
    }

    /// The user id of a valid, unexpired cookie value, else `nil`.
    func userID(from value: String?, now: Int64) -> String? {
        guard let value, value.utf8.count < 1024 else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int64(parts[1]), expiry > now else { return nil }
        let payload = parts[0] + "." + parts[1]
        guard SignatureMethod.hmacSHA256.verify(
            signature: Self.fromURL(String(parts[2])), baseString: String(payload), clientSecret: key, tokenSecret: "")
        else { return nil }
        guard let data = Data(base64Encoded: Self.fromURL(String(parts[0]))) else { return nil }
        return String(data: data, encoding: .utf8)
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
