import Foundation

/// A signed request as a provider (server) receives it: its protocol parameters located,
/// checked for shape, and its signature base string rebuilt, ready to verify.
///
/// The protocol parameters are read from the `Authorization: OAuth` header when present,
/// otherwise from the query or the form body (RFC 5849 section 3.5).
///
/// ```swift
/// let received = try OAuth1ReceivedRequest(request)
/// let client = try lookUpClient(received.consumerKey)
/// guard received.verify(method: .hmacSHA1, clientSecret: client.secret, tokenSecret: tokenSecret) else { ... }
/// ```
///
/// Checking the timestamp window and nonce reuse is the provider's job: see ``timestamp``
/// and ``nonce``.
public struct OAuth1ReceivedRequest: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The request as received.
    public var request: OAuth1HTTPRequest
    /// Where the protocol parameters were found.
    public var placement: SignaturePlacement
    /// The header's `realm`, if any.
    public var realm: String?
    /// The `oauth_*` protocol parameters, without `oauth_signature`.
    public var protocolParameters: [OAuth1Parameter]
    /// The received `oauth_signature`, decoded.
    public var signature: String
    /// The normalized parameter string rebuilt from the request.
    public var normalizedParameters: String
    /// The signature base string rebuilt from the request.
    public var baseString: String

    /// `oauth_consumer_key`.
    public var consumerKey: String { protocolParameters.first(named: "oauth_consumer_key") ?? "" }
    /// `oauth_token`, if sent.
    public var token: String? { protocolParameters.first(named: "oauth_token") }
    /// `oauth_signature_method`.
    public var signatureMethodName: String { protocolParameters.first(named: "oauth_signature_method") ?? "" }
    /// `oauth_timestamp` as seconds since the epoch, if sent.
    public var timestamp: Int64? { protocolParameters.first(named: "oauth_timestamp").flatMap { Int64($0) } }
    /// `oauth_nonce`, if sent.
    public var nonce: String? { protocolParameters.first(named: "oauth_nonce") }
    /// `oauth_callback`, if sent.
    public var callback: String? { protocolParameters.first(named: "oauth_callback") }
    /// `oauth_verifier`, if sent.
    public var verifier: String? { protocolParameters.first(named: "oauth_verifier") }
    /// `oauth_body_hash`, if sent.
    public var bodyHash: String? { protocolParameters.first(named: "oauth_body_hash") }

    /// Locates and checks the protocol parameters of `request`.
    ///
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidRequest``) when the request is not
    ///   OAuth-signed, a required parameter (`oauth_consumer_key`, `oauth_signature_method`,
    ///   `oauth_signature`; `oauth_timestamp` and `oauth_nonce` unless PLAINTEXT) is missing,
    ///   a protocol parameter appears twice, `oauth_version` is not `1.0`, `oauth_timestamp`
    ///   is not a number, or the header, query or body is malformed.
    public init(_ request: OAuth1HTTPRequest) throws {
        self.request = request
        let requestParameters = try SignatureBaseString.requestParameters(of: request)
        var signatures: [String] = []
        if let header = request.header(named: "Authorization"), Self.usesOAuthScheme(header) {
            let parsed = try OAuth1AuthorizationHeader.parse(header)
            placement = .authorizationHeader
            realm = parsed.realm
            signatures = parsed.parameters.filter { $0.name == "oauth_signature" }.map(\.value)
            protocolParameters = parsed.parameters.filter { $0.name != "oauth_signature" }
        } else {
            let queryParameters = try OAuth1PercentEncoding.parseForm(SignatureBaseString.query(of: request.url))
            let querySignatures = queryParameters.filter { $0.name == "oauth_signature" }.map(\.value)
            var bodySignatures: [String] = []
            if request.hasFormBody, let text = try SignatureBaseString.formBodyText(of: request) {
                bodySignatures = try OAuth1PercentEncoding.parseForm(text).filter { $0.name == "oauth_signature" }
                    .map(\.value)
            }
            placement = querySignatures.isEmpty && !bodySignatures.isEmpty ? .formBody : .queryString
            realm = nil
            signatures = querySignatures + bodySignatures
            protocolParameters = requestParameters.filter { $0.name.hasPrefix("oauth_") }
        }

        guard !signatures.isEmpty || !protocolParameters.isEmpty else {
            throw Self.invalid("the request carries no OAuth protocol parameters")
        }
        guard signatures.count == 1, let signature = signatures.first else {
            throw Self.invalid(
                signatures.isEmpty ? "oauth_signature is missing" : "oauth_signature appears more than once")
        }
        self.signature = signature
        var seen: Set<String> = []
        for parameter in protocolParameters where !seen.insert(parameter.name).inserted {
            throw Self.invalid("the protocol parameter \(parameter.name) appears more than once")
        }
        for required in ["oauth_consumer_key", "oauth_signature_method"] where !seen.contains(required) {
            throw Self.invalid("\(required) is missing")
        }
        if protocolParameters.first(named: "oauth_signature_method") != SignatureMethod.plaintext.name {
            for required in ["oauth_timestamp", "oauth_nonce"] where !seen.contains(required) {
                throw Self.invalid("\(required) is missing")
            }
        }
        if let version = protocolParameters.first(named: "oauth_version"), version != "1.0" {
            throw Self.invalid("oauth_version must be 1.0, got '\(version)'")
        }
        if let timestamp = protocolParameters.first(named: "oauth_timestamp"), Int64(timestamp) == nil {
            throw Self.invalid("oauth_timestamp is not a number of seconds")
        }

        let signed =
            placement == .authorizationHeader ? requestParameters + protocolParameters : requestParameters
        var base = try SignatureBase(method: request.method, url: request.url, parameters: signed)
        normalizedParameters = base.normalizedParameters()
        baseString = base.string(base.baseString)
    }

    /// Verifies the signature and, when sent, `oauth_body_hash`.
    ///
    /// - Parameters:
    ///   - method: The method the provider accepts for this client; its name must equal
    ///     the request's `oauth_signature_method`.
    ///   - clientSecret: The client's secret (unused by RSA methods).
    ///   - tokenSecret: The secret of ``token``, or `""` when there is none.
    /// - Returns: `true` only when the method matches, the signature verifies, and any
    ///   `oauth_body_hash` is on a non-form body and matches it.
    public func verify(method: SignatureMethod, clientSecret: String, tokenSecret: String) -> Bool {
        guard method.name == signatureMethodName else { return false }
        if let bodyHash {
            guard !request.hasFormBody, let algorithm = method.bodyHash,
                let expected = try? algorithm.hash(request.body ?? Data()),
                OpenSSLCrypto.constantTimeEqual(expected, bodyHash)
            else { return false }
        }
        return method.verify(
            signature: signature, baseString: baseString, clientSecret: clientSecret, tokenSecret: tokenSecret)
    }

    /// The consumer key, token, method and placement; never the signature (a PLAINTEXT
    /// signature is the secrets).
    public var description: String {
        "OAuth1ReceivedRequest(consumerKey: \(consumerKey), token: \(token ?? "none"), "
            + "method: \(signatureMethodName), placement: \(placement))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "consumerKey": consumerKey, "token": token as Any, "method": signatureMethodName,
                "placement": placement, "baseString": baseString,
            ], displayStyle: .struct)
    }

    private static func usesOAuthScheme(_ header: String) -> Bool {
        let scheme = header.utf8.drop(while: { $0 == UInt8(ascii: " ") }).prefix(while: { $0 != UInt8(ascii: " ") })
        return OAuth1HTTPHeaders.asciiCaseInsensitiveEqual(scheme, Array("OAuth".utf8))
    }

    private static func invalid(_ detail: String) -> OAuth1Error {
        OAuth1Error(.invalidRequest, message: "not a valid OAuth 1.0a request: \(detail)")
    }
}
