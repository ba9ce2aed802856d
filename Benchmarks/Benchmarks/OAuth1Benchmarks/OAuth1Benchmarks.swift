import Benchmark
import Foundation
import OAuth1

/// Signing a typical API request: ten parameters across query and form body, fixed clock
/// and nonce so every iteration does the same work.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        maxDuration: .seconds(2)
    )

    let url = URL(string: "https://api.example.com/1.1/statuses/update.json?include_entities=true&trim_user=1&tweet_mode=extended")!
    let form = "status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21&lat=37.7821120598956&long=-122.400612831116&place_id=5a110d312052166f&display_coordinates=true&in_reply_to=1234567890"
    var request = OAuth1HTTPRequest(method: "POST", url: url, body: Data(form.utf8))
    request.headers.setHeader("Content-Type", "application/x-www-form-urlencoded")

    func signer(_ method: SignatureMethod) -> OAuth1Signer {
        OAuth1Signer(
            client: ClientCredentials(key: "xvz1evFS4wEEPTGEFPHBog", secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"),
            token: TokenCredentials(token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"),
            method: method,
            clock: .fixed(1_318_622_958),
            nonce: .fixed("kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"))
    }

    for method in [SignatureMethod.hmacSHA1, .hmacSHA256, .hmacSHA512, .plaintext] {
        let signer = signer(method)
        Benchmark("sign \(method.name), 10 parameters") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try signer.sign(request))
            }
        }
    }

    let text = "Hello Ladies + Gentlemen, a signed OAuth request! ☃ ~ /?#[]@"
    Benchmark("percent-encode 60 characters") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(OAuth1PercentEncoding.encode(text))
        }
    }

    let parameters = try! OAuth1PercentEncoding.parseForm(form + "&include_entities=true&trim_user=1&tweet_mode=extended")
    Benchmark("signature base string, 10 parameters") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try SignatureBaseString.make(method: "POST", url: url, parameters: parameters))
        }
    }
}
