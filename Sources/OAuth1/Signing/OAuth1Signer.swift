import Foundation

/// Signs HTTP requests with OAuth 1.0a (RFC 5849).
///
/// ```swift
/// let signer = OAuth1Signer(
///     client: ClientCredentials(key: "dpf43f3p2l4k3l03", secret: consumerSecret),
///     token: TokenCredentials(token: "nnch734d00sl2jdk", secret: tokenSecret))
/// let signed = try signer.sign(OAuth1HTTPRequest(method: "GET", url: photosURL))
/// ```
///
/// The signer is a value: cheap to copy and safe to share across tasks. Its
/// ``description`` and reflection never show a secret.
public struct OAuth1Signer: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The client (consumer) credentials.
    public var client: ClientCredentials
    /// The token credentials, or `nil` for the temporary-credentials request.
    public var token: TokenCredentials?
    /// The signature method.
    public var method: SignatureMethod
    /// Where the protocol parameters go.
    public var placement: SignaturePlacement
    /// The `realm` of the Authorization header; not signed, ignored for other placements.
    public var realm: String?
    /// Whether to send `oauth_body_hash` for requests with a body that is not form-encoded.
    public var includeBodyHash: Bool
    /// Whether to send `oauth_version=1.0` (optional in RFC 5849; some old providers need it).
    public var includeVersion: Bool
    /// The source of `oauth_timestamp`.
    public var clock: OAuth1Clock
    /// The source of `oauth_nonce`.
    public var nonce: OAuth1NonceGenerator

    /// Creates a signer.
    ///
    /// - Parameters:
    ///   - client: The client credentials.
    ///   - token: The token credentials (request token or access token), if any.
    ///   - method: The signature method; HMAC-SHA1 by default.
    ///   - placement: Where the protocol parameters go; the Authorization header by default.
    ///   - realm: The optional `realm` of the Authorization header.
    ///   - includeBodyHash: Send `oauth_body_hash` for non-form bodies (default `true`).
    ///   - includeVersion: Send `oauth_version=1.0` (default `true`).
    ///   - clock: The timestamp source.
    ///   - nonce: The nonce source.
    public init(
        client: ClientCredentials,
        token: TokenCredentials? = nil,
        method: SignatureMethod = .hmacSHA1,
        placement: SignaturePlacement = .authorizationHeader,
        realm: String? = nil,
        includeBodyHash: Bool = true,
        includeVersion: Bool = true,
        clock: OAuth1Clock = .system,
        nonce: OAuth1NonceGenerator = .secureRandom
    ) {
        self.client = client
        self.token = token
        self.method = method
        self.placement = placement
        self.realm = realm
        self.includeBodyHash = includeBodyHash
        self.includeVersion = includeVersion
        self.clock = clock
        self.nonce = nonce
    }

    /// A copy of this signer that signs with `token` (e.g. the access token after the dance).
    public func with(token: TokenCredentials?) -> OAuth1Signer {
        var copy = self
        copy.token = token
        return copy
    }

    /// Everything that goes into one signature, for signing and for debugging rejections.
    public struct SignatureDetails: Sendable, Hashable, CustomStringConvertible {
        /// The signature method's name.
        public var signatureMethod: String
        /// The protocol parameters as sent, in order, ending with `oauth_signature`.
        public var protocolParameters: [OAuth1Parameter]
        /// The request's own parameters (query and form body) that were signed.
        public var requestParameters: [OAuth1Parameter]
        /// The normalized parameter string (RFC 5849 section 3.4.1.3.2).
        public var normalizedParameters: String
        /// The signature base string (section 3.4.1).
        public var baseString: String
        /// The signature (`oauth_signature`, not percent-encoded).
        public var signature: String
        /// The `Authorization` header value for these parameters (with the realm, if any).
        public var authorizationHeader: String

        /// Whether the signature reveals the secrets (PLAINTEXT).
        public var signatureRevealsSecrets: Bool { signatureMethod == SignatureMethod.plaintext.name }

        public var description: String {
            let shown = signatureRevealsSecrets ? "<redacted: PLAINTEXT>" : signature
            return "SignatureDetails(method: \(signatureMethod), baseString: \(baseString), signature: \(shown))"
        }
    }

    /// Computes the signature for `request` without changing it.
    ///
    /// - Parameters:
    ///   - request: The request to sign; its query and form body are signed.
    ///   - extraProtocolParameters: More protocol parameters to sign and send, such as
    ///     `oauth_callback` or `oauth_verifier`. They replace generated ones of the same name.
    /// - Returns: The protocol parameters, the normalized parameters, the base string,
    ///   the signature and the Authorization header.
    /// - Throws: ``OAuth1Error``: ``OAuth1Error/Code/invalidRequest`` for a malformed URL,
    ///   query or body, a realm with control characters, or a failing random source;
    ///   ``OAuth1Error/Code/invalidKey`` when an RSA key cannot sign.
    public func signatureDetails(
        for request: OAuth1HTTPRequest, extraProtocolParameters: [OAuth1Parameter] = []
    ) throws -> SignatureDetails {
        var signing = try computeSignature(
            request, extraProtocolParameters: extraProtocolParameters, hasFormBody: request.hasFormBody)
        let header = signing.authorizationHeader(realm: realm)
        let signature = signing.base.string(signing.signature)
        return SignatureDetails(
            signatureMethod: method.name,
            protocolParameters: signing.sentParameters,
            requestParameters: try SignatureBaseString.requestParameters(of: request),
            normalizedParameters: signing.base.normalizedParameters(),
            baseString: signing.base.string(signing.base.baseString),
            signature: signature,
            authorizationHeader: signing.base.string(header))
    }

    /// One signature: the base string, the protocol parameters and the signature, in the
    /// base string's buffer. ``sign(_:extraProtocolParameters:)`` and
    /// ``signatureDetails(for:extraProtocolParameters:)`` both sign through
    /// ``computeSignature(_:extraProtocolParameters:hasFormBody:)``.
    struct Signing: ~Copyable {
        var base: SignatureBase
        /// Without `oauth_signature`.
        var protocolParameters: [OAuth1Parameter]
        /// Where the signature (not percent-encoded) sits in `base.writer`.
        var signature: Range<Int>

        /// The protocol parameters as sent: ending with `oauth_signature`.
        var sentParameters: [OAuth1Parameter] {
            protocolParameters + [OAuth1Parameter("oauth_signature", base.string(signature))]
        }

        /// Writes the `Authorization` header value into the buffer; returns where.
        mutating func authorizationHeader(realm: String?) -> Range<Int> {
            OAuth1AuthorizationHeader.append(
                protocolParameters: protocolParameters, signature: signature, realm: realm, to: &base.writer)
        }
    }

    func computeSignature(
        _ request: OAuth1HTTPRequest, extraProtocolParameters: [OAuth1Parameter], hasFormBody: Bool
    ) throws -> Signing {
        if let realm, realm.unicodeScalars.contains(where: OAuth1AuthorizationHeader.isControl) {
            throw OAuth1Error(.invalidRequest, message: "the realm contains a control character")
        }
        let protocolParameters = try protocolParameters(
            for: request, extraProtocolParameters: extraProtocolParameters, hasFormBody: hasFormBody)
        var base = try SignatureBase(
            request: request, hasFormBody: hasFormBody, protocolParameters: protocolParameters)
        let signature = try method.appendSignature(
            of: base.baseString, clientSecret: client.secret, tokenSecret: token?.secret ?? "", to: &base.writer)
        return Signing(base: base, protocolParameters: protocolParameters, signature: signature)
    }

    /// The protocol parameters to sign and send, in order, without `oauth_signature`.
    func protocolParameters(
        for request: OAuth1HTTPRequest, extraProtocolParameters: [OAuth1Parameter], hasFormBody: Bool
    ) throws -> [OAuth1Parameter] {
        var protocolParameters: [OAuth1Parameter] = []
        protocolParameters.reserveCapacity(9 + extraProtocolParameters.count)  // + oauth_signature
        protocolParameters.append(OAuth1Parameter("oauth_consumer_key", client.key))
        if let token { protocolParameters.append(OAuth1Parameter("oauth_token", token.token)) }
        protocolParameters.append(OAuth1Parameter("oauth_signature_method", method.name))
        protocolParameters.append(OAuth1Parameter("oauth_timestamp", String(clock.now())))
        protocolParameters.append(OAuth1Parameter("oauth_nonce", try nonce.next()))
        if includeVersion { protocolParameters.append(OAuth1Parameter("oauth_version", "1.0")) }
        for extra in extraProtocolParameters where extra.name != "oauth_signature" {
            protocolParameters.removeAll { $0.name == extra.name }
            protocolParameters.append(extra)
        }
        if includeBodyHash, let algorithm = method.bodyHash, let body = request.body, !hasFormBody,
            !protocolParameters.contains(where: { $0.name == "oauth_body_hash" })
        {
            protocolParameters.append(OAuth1Parameter("oauth_body_hash", try algorithm.hash(body)))
        }
        return protocolParameters
    }

    /// Signs `request` and returns it with the protocol parameters placed per ``placement``.
    ///
    /// - ``SignaturePlacement/authorizationHeader``: sets `Authorization`.
    /// - ``SignaturePlacement/queryString``: appends the parameters to the URL query.
    /// - ``SignaturePlacement/formBody``: appends them to the form body and sets
    ///   `Content-Type: application/x-www-form-urlencoded` when the body was empty.
    ///
    /// - Parameters:
    ///   - request: The request to sign.
    ///   - extraProtocolParameters: More protocol parameters such as `oauth_callback`.
    /// - Returns: The signed request.
    /// - Throws: ``OAuth1Error``, as ``signatureDetails(for:extraProtocolParameters:)``, and
    ///   ``OAuth1Error/Code/invalidRequest`` for the form placement on a non-form body.
    public func sign(_ request: OAuth1HTTPRequest, extraProtocolParameters: [OAuth1Parameter] = []) throws
        -> OAuth1HTTPRequest
    {
        let hasFormBody = request.hasFormBody
        if placement == .formBody, let body = request.body, !body.isEmpty, !hasFormBody {
            throw OAuth1Error(
                .invalidRequest,
                message: "the form-body placement needs an application/x-www-form-urlencoded body; "
                    + "use the Authorization header for other bodies")
        }
        var signing = try computeSignature(
            request, extraProtocolParameters: extraProtocolParameters, hasFormBody: hasFormBody)
        var signed = request
        switch placement {
        case .authorizationHeader:
            let header = signing.authorizationHeader(realm: realm)
            signed.setHeader("Authorization", signing.base.string(header))
        case .queryString:
            guard var components = URLComponents(url: request.url, resolvingAgainstBaseURL: true) else {
                throw OAuth1Error(.invalidRequest, message: "cannot parse the request URL")
            }
            let added = OAuth1PercentEncoding.formEncode(signing.sentParameters)
            if let query = components.percentEncodedQuery, !query.isEmpty {
                components.percentEncodedQuery = query + "&" + added
            } else {
                components.percentEncodedQuery = added
            }
            guard let url = components.url else {
                throw OAuth1Error(.invalidRequest, message: "cannot rebuild the request URL with the query")
            }
            signed.url = url
        case .formBody:
            let added = Data(OAuth1PercentEncoding.formEncode(signing.sentParameters).utf8)
            if var body = request.body, !body.isEmpty {
                body.append(UInt8(ascii: "&"))
                body.append(added)
                signed.body = body
            } else {
                signed.body = added
                signed.setHeader("Content-Type", "application/x-www-form-urlencoded")
            }
        }
        return signed
    }

    public var description: String {
        "OAuth1Signer(client: \(client), token: \(token.map(String.init(describing:)) ?? "none"), "
            + "method: \(method.name), placement: \(placement))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "client": client, "token": token as Any, "method": method.name, "placement": placement,
                "realm": realm as Any,
            ], displayStyle: .struct)
    }
}
