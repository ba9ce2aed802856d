import Foundation
import OAuth1

/// The flows one browser began, kept in a cookie as keyed hashes so a callback can be
/// checked against them before the store is touched.
///
/// `complete` takes the pending request token from the store before it can compare
/// sessions (taking is the only atomic read), so a callback opened in the wrong browser
/// would consume the token and the right browser could no longer finish. A callback whose
/// `oauth_token` this browser never began is refused here instead, and the store keeps the
/// token. This check only spares the token: the session binding in the store is still what
/// decides, so a forged cookie gains nothing.
///
/// An entry is HMAC-SHA256(key: session id, oauth_token), truncated to 128 bits: no token
/// is in the cookie, and an entry means nothing to another session. OAuth 2.0 flows are
/// named by their `state` the same way (`complete` takes the pending authorization first
/// there too).
struct PendingFlows: Equatable {
    private(set) var marks: [String]

    /// The entries of the cookie `value` (well-formed ones only).
    init(cookieValue value: String?) {
        marks = (value ?? "").split(separator: ".").map(String.init).filter { mark in
            mark.utf8.count == Self.markLength && mark.utf8.allSatisfy(Base64URL.isAlphabet)
        }
    }

    /// 22 base64url characters: 128 bits of the HMAC.
    static let markLength = 22

    /// The entry for `oauthToken` begun by `sessionID`.
    static func mark(oauthToken: String, sessionID: String) throws -> String {
        let signature = try SignatureMethod.hmacSHA256.sign(baseString: oauthToken, clientSecret: sessionID, tokenSecret: "")
        let url = signature.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return String(url.prefix(markLength))
    }

    func contains(_ mark: String) -> Bool { marks.contains(mark) }

    /// Adds `mark`, forgetting the oldest past `limit`.
    mutating func add(_ mark: String, limit: Int) {
        marks.removeAll { $0 == mark }
        marks.append(mark)
        if marks.count > limit { marks.removeFirst(marks.count - limit) }
    }

    mutating func remove(_ mark: String) { marks.removeAll { $0 == mark } }

    var cookieValue: String { marks.joined(separator: ".") }
}
