import HTTPTypes
import Hummingbird

/// The headers every sign-in answer carries: not cached (it sets cookies or carries a
/// one-time link) and no Referer (the callback URL holds the verifier).
enum SafetyHeaders {
    /// `Referrer-Policy`, which swift-http-types does not name.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")

    /// Adds `Cache-Control: no-store` and `Referrer-Policy: no-referrer` where the answer
    /// has not set its own.
    static func apply(to headers: inout HTTPFields) {
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
        if let referrerPolicy, headers[referrerPolicy] == nil { headers[referrerPolicy] = "no-referrer" }
    }
}
