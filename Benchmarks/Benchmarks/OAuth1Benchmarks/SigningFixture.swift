import Benchmark
import CFloors
import Foundation

/// The request every signing benchmark signs: three query and six form parameters plus the
/// protocol parameters (the RFC 5849 / Twitter documentation example, extended).
enum SigningFixture {
    static let url = "https://api.example.com/1.1/statuses/update.json?include_entities=true&trim_user=1&tweet_mode=extended"
    static let form =
        "status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21&lat=37.7821120598956"
        + "&long=-122.400612831116&place_id=5a110d312052166f&display_coordinates=true&in_reply_to=1234567890"
    static let consumerKey = "xvz1evFS4wEEPTGEFPHBog"
    static let consumerSecret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
    static let token = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"
    static let tokenSecret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
    static let timestamp: Int64 = 1_318_622_958
    static let nonce = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"

    /// The C floor's Authorization header, or nil when it failed. The C strings are built
    /// once, outside the measured call, as a C server would hold them.
    static func signInC() -> String? {
        let length = CStrings.shared.sign()
        guard length >= 0 else { return nil }
        return CStrings.shared.output
    }

    /// NUL-terminated copies of the inputs and an output buffer, allocated once.
    final class CStrings: @unchecked Sendable {
        // Safe to share: the benchmarks run one at a time on one thread, and the buffers
        // are written only by `sign()`.
        static let shared = CStrings()
        let method = strdup("POST")
        let url = strdup(SigningFixture.url)
        let form = strdup(SigningFixture.form)
        let consumerKey = strdup(SigningFixture.consumerKey)
        let consumerSecret = strdup(SigningFixture.consumerSecret)
        let token = strdup(SigningFixture.token)
        let tokenSecret = strdup(SigningFixture.tokenSecret)
        let timestamp = strdup(String(SigningFixture.timestamp))
        let nonce = strdup(SigningFixture.nonce)
        let out = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)

        func sign() -> Int32 {
            floors_oauth_sign_hmac_sha1(method, url, form, consumerKey, consumerSecret, token, tokenSecret, timestamp, nonce, out, 4096)
        }

        var output: String { String(cString: out) }
    }
}
