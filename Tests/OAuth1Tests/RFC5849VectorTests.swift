import Foundation
import OAuth1
import Testing

/// The published signature examples: RFC 5849 sections 1.2 and 3.4.1, OAuth Core 1.0
/// appendix A.5, and Twitter's "Creating a signature" page.
@Suite(.inProcessTimeLimit) struct RFC5849VectorTests {
    static let client = ClientCredentials(key: "dpf43f3p2l4k3l03", secret: "kd94hf93k423kf44")

    /// A signer that reproduces the RFC's examples: fixed clock and nonce, realm "Photos",
    /// no oauth_version (the RFC 5849 examples omit it).
    static func rfcSigner(token: TokenCredentials?, timestamp: Int64, nonce: String) -> OAuth1Signer {
        OAuth1Signer(
            client: client, token: token, realm: "Photos", includeVersion: false,
            clock: .fixed(timestamp), nonce: .fixed(nonce))
    }

    @Test func temporaryCredentialsRequest() throws {
        let signer = Self.rfcSigner(token: nil, timestamp: 137_131_200, nonce: "wIjqoS")
        let request = OAuth1HTTPRequest(
            method: "POST", url: try #require(URL(string: "https://photos.example.net/initiate")))
        let details = try signer.signatureDetails(
            for: request,
            extraProtocolParameters: [OAuth1Parameter("oauth_callback", "http://printer.example.com/ready")])
        #expect(
            details.baseString
                == "POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A%252F%252Fprinter.example.com%252Fready%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131200"
        )
        #expect(details.signature == "74KNZJeDHnMBp0EMJ9ZHt/XKycU=")
        #expect(
            details.authorizationHeader
                == "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"137131200\", oauth_nonce=\"wIjqoS\", oauth_callback=\"http%3A%2F%2Fprinter.example.com%2Fready\", oauth_signature=\"74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D\""
        )
    }

    @Test func tokenRequest() throws {
        let signer = Self.rfcSigner(
            token: TokenCredentials(token: "hh5s93j4hdidpola", secret: "hdhd0244k9j7ao03"),
            timestamp: 137_131_201, nonce: "walatlh")
        let request = OAuth1HTTPRequest(
            method: "POST", url: try #require(URL(string: "https://photos.example.net/token")))
        let details = try signer.signatureDetails(
            for: request, extraProtocolParameters: [OAuth1Parameter("oauth_verifier", "hfdp7dh39dks9884")])
        #expect(details.signature == "gKgrFCywp7rO0OXSjdot/IHF7IU=")
        #expect(details.authorizationHeader.contains("oauth_signature=\"gKgrFCywp7rO0OXSjdot%2FIHF7IU%3D\""))
        #expect(details.authorizationHeader.contains("oauth_verifier=\"hfdp7dh39dks9884\""))
    }

    @Test func protectedResourceRequest() throws {
        let signer = Self.rfcSigner(
            token: TokenCredentials(token: "nnch734d00sl2jdk", secret: "pfkkdhi9sl3r4s00"),
            timestamp: 137_131_202, nonce: "chapoH")
        let url = try #require(URL(string: "http://photos.example.net/photos?file=vacation.jpg&size=original"))
        let signed = try signer.sign(OAuth1HTTPRequest(method: "GET", url: url))
        let header = try #require(signed.header(named: "authorization"))
        #expect(
            header
                == "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", oauth_token=\"nnch734d00sl2jdk\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"137131202\", oauth_nonce=\"chapoH\", oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\""
        )
        #expect(signed.url == url)
    }

    /// RFC 5849 section 3.4.1.1 / 3.4.1.3: query with escapes, form body with `+`.
    static let section341Request: OAuth1HTTPRequest = {
        var request = OAuth1HTTPRequest(
            method: "POST", url: URL(string: "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")!,
            body: Data("c2&a3=2+q".utf8))
        request.setHeader("Content-Type", "application/x-www-form-urlencoded")
        return request
    }()

    static let section341Protocol = [
        OAuth1Parameter("oauth_consumer_key", "9djdj82h48djs9d2"),
        OAuth1Parameter("oauth_token", "kkk9d7dh3k39sjv7"),
        OAuth1Parameter("oauth_signature_method", "HMAC-SHA1"),
        OAuth1Parameter("oauth_timestamp", "137131201"),
        OAuth1Parameter("oauth_nonce", "7d8f3e4a"),
    ]

    @Test func section341RequestParameters() throws {
        let parameters = try SignatureBaseString.requestParameters(of: Self.section341Request)
        #expect(
            parameters == [
                OAuth1Parameter("b5", "=%3D"), OAuth1Parameter("a3", "a"), OAuth1Parameter("c@", ""),
                OAuth1Parameter("a2", "r b"), OAuth1Parameter("c2", ""), OAuth1Parameter("a3", "2 q"),
            ])
    }

    @Test func section341NormalizedParametersAndBaseString() throws {
        let parameters = try SignatureBaseString.requestParameters(of: Self.section341Request) + Self.section341Protocol
        #expect(
            SignatureBaseString.normalizedParameters(parameters)
                == "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7"
        )
        #expect(
            try SignatureBaseString.make(method: "post", url: Self.section341Request.url, parameters: parameters)
                == "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
        )
    }

    @Test func section341HeaderParsesAndRealmIsNotSigned() throws {
        let header = """
            OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", \
            oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", \
            oauth_signature="djosJKDKJSD8743243%2Fjdk33klY%3D"
            """
        let parsed = try OAuth1AuthorizationHeader.parse(header)
        #expect(parsed.realm == "Example")
        #expect(parsed.parameters.first(named: "oauth_signature") == "djosJKDKJSD8743243/jdk33klY=")
        let signed = parsed.parameters.filter { $0.name != "oauth_signature" }
        #expect(signed == Self.section341Protocol)
    }

    /// OAuth Core 1.0 appendix A.5: access to protected resources, with oauth_version.
    @Test func oauthCore10AppendixA5() throws {
        let signer = OAuth1Signer(
            client: Self.client, token: TokenCredentials(token: "nnch734d00sl2jdk", secret: "pfkkdhi9sl3r4s00"),
            clock: .fixed(1_191_242_096), nonce: .fixed("kllo9940pd9333jh"))
        let url = try #require(URL(string: "http://photos.example.net/photos?file=vacation.jpg&size=original"))
        let details = try signer.signatureDetails(for: OAuth1HTTPRequest(method: "GET", url: url))
        #expect(
            details.baseString
                == "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
        )
        #expect(details.signature == "tR3+Ty81lMeYAr/Fid0kMTYa/WM=")
    }

    /// Twitter's "Creating a signature" example (form body with `+`, `,` and `!`).
    @Test func twitterCreatingASignature() throws {
        let signer = OAuth1Signer(
            client: ClientCredentials(
                key: "xvz1evFS4wEEPTGEFPHBog", secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"),
            token: TokenCredentials(
                token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"),
            clock: .fixed(1_318_622_958), nonce: .fixed("kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"))
        let request = OAuth1HTTPRequest(
            method: "POST",
            url: try #require(URL(string: "https://api.twitter.com/1.1/statuses/update.json?include_entities=true")),
            headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: Data("status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21".utf8))
        let details = try signer.signatureDetails(for: request)
        #expect(
            details.normalizedParameters
                == "include_entities=true&oauth_consumer_key=xvz1evFS4wEEPTGEFPHBog&oauth_nonce=kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1318622958&oauth_token=370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb&oauth_version=1.0&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21"
        )
        #expect(details.signature == "hCtSmYh+iHYCEqBWrE7C7hYmtUk=")
        // A form body never gets oauth_body_hash.
        #expect(details.protocolParameters.first(named: "oauth_body_hash") == nil)
    }

    /// The signature verifies with the same method and secrets, and not with others.
    @Test func verificationOfRFCSignature() throws {
        let base =
            "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal"
        #expect(
            SignatureMethod.hmacSHA1.verify(
                signature: "MdpQcU8iPSUjWoN/UDMsK2sui9I=", baseString: base, clientSecret: "kd94hf93k423kf44",
                tokenSecret: "pfkkdhi9sl3r4s00"))
        #expect(
            !SignatureMethod.hmacSHA1.verify(
                signature: "MdpQcU8iPSUjWoN/UDMsK2sui9I=", baseString: base, clientSecret: "kd94hf93k423kf44",
                tokenSecret: "wrong"))
        #expect(
            !SignatureMethod.hmacSHA1.verify(
                signature: "MdpQcU8iPSUjWoN/UDMsK2sui9I=", baseString: base + "x", clientSecret: "kd94hf93k423kf44",
                tokenSecret: "pfkkdhi9sl3r4s00"))
    }
}
