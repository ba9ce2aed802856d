import Benchmark
import CFloors
import Foundation
import OAuth1

/// Signing a typical API request: ten parameters across query and form body, fixed clock
/// and nonce so every iteration does the same work. Next to it, the floors: the same
/// HMAC-SHA1 signing written in C (`floors_oauth_sign_hmac_sha1`) and the raw OpenSSL HMAC
/// of the same base string.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: BenchmarkSettings.metrics,
        timeUnits: .nanoseconds,
        maxDuration: .seconds(2),
        maxIterations: BenchmarkSettings.maxIterations
    )

    let url = URL(string: SigningFixture.url)!
    var request = OAuth1HTTPRequest(method: "POST", url: url, body: Data(SigningFixture.form.utf8))
    request.headers.setHeader("Content-Type", "application/x-www-form-urlencoded")

    func signer(_ method: SignatureMethod) -> OAuth1Signer {
        OAuth1Signer(
            client: ClientCredentials(key: SigningFixture.consumerKey, secret: SigningFixture.consumerSecret),
            token: TokenCredentials(token: SigningFixture.token, secret: SigningFixture.tokenSecret),
            method: method,
            clock: .fixed(SigningFixture.timestamp),
            nonce: .fixed(SigningFixture.nonce))
    }

    for method in [SignatureMethod.hmacSHA1, .hmacSHA256, .hmacSHA512, .plaintext] {
        let signer = signer(method)
        Benchmark("sign \(method.name), 10 parameters") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try signer.sign(request))
            }
        }
    }

    // The C floor must produce the header the library produces, or the ratio means nothing.
    let expected = (try? signer(.hmacSHA1).signatureDetails(for: request).authorizationHeader) ?? ""
    let floorHeader = SigningFixture.signInC()
    if floorHeader != expected {
        print("warning: the C signing floor disagrees with OAuth1Signer:\n  C:     \(floorHeader ?? "nil")\n  Swift: \(expected)")
    }
    Benchmark("sign HMAC-SHA1, 10 parameters [C floor]") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(SigningFixture.CStrings.shared.sign())
        }
    }

    // Wall and CPU time per sign, each sample the mean of a loop (see `LoopMetrics`).
    if !BenchmarkSettings.mallocOnly {
        let hmacSHA1 = signer(.hmacSHA1)
        Benchmark("sign HMAC-SHA1, 10 parameters, \(LoopMetrics.calls) in a loop", configuration: LoopMetrics.configuration) {
            benchmark in
            try LoopMetrics.measure(benchmark) { blackHole(try hmacSHA1.sign(request)) }
        }
        Benchmark(
            "sign HMAC-SHA1, 10 parameters, \(LoopMetrics.calls) in a loop [C floor]",
            configuration: LoopMetrics.configuration
        ) { benchmark in
            try LoopMetrics.measure(benchmark) { blackHole(SigningFixture.CStrings.shared.sign()) }
        }
    }

    let baseString = (try? signer(.hmacSHA1).signatureDetails(for: request).baseString) ?? ""
    let key = SigningFixture.consumerSecret + "&" + SigningFixture.tokenSecret
    Benchmark("HMAC-SHA1 of the base string [OpenSSL floor]") { benchmark in
        var digest = [UInt8](repeating: 0, count: 20)
        for _ in benchmark.scaledIterations {
            key.utf8.withContiguousStorageIfAvailable { key in
                baseString.utf8.withContiguousStorageIfAvailable { message in
                    _ = floors_hmac_sha1(key.baseAddress, key.count, message.baseAddress, message.count, &digest)
                }
            }
            blackHole(digest)
        }
    }

    let text = "Hello Ladies + Gentlemen, a signed OAuth request! ☃ ~ /?#[]@"
    Benchmark("percent-encode 60 characters") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(OAuth1PercentEncoding.encode(text))
        }
    }

    let parameters = try! OAuth1PercentEncoding.parseForm(SigningFixture.form + "&include_entities=true&trim_user=1&tweet_mode=extended")
    Benchmark("signature base string, 10 parameters") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try SignatureBaseString.make(method: "POST", url: url, parameters: parameters))
        }
    }
}
