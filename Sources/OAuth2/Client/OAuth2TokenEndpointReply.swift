import Foundation
import OAuth1

/// Reads a token endpoint's (or revocation endpoint's) HTTP response: a token response, or
/// an RFC 6749 section 5.2 error as a typed ``OAuth2Error``.
struct OAuth2TokenEndpointReply {
    /// The largest response body read, in bytes; a larger one is refused unread.
    static let maximumBodyLength = 1 << 20

    /// What the request was, for messages: "code exchange", "refresh", "revocation".
    let operation: String
    /// The provider's host, for messages.
    let host: String
    /// The secrets the request carried, blanked out of any provider text kept.
    let secrets: [String]

    /// The response's fields, from a JSON object or a form-encoded body; `nil` when the body
    /// is neither.
    static func fields(of response: OAuth1HTTPResponse) -> [String: OAuth2JSONValue]? {
        guard response.body.count <= maximumBodyLength else { return nil }
        if let object = OAuth2JSONValue.object(from: response.body) { return object }
        // GitHub answers form-encoded unless asked for JSON; other old providers always do.
        let contentType = response.header(named: "Content-Type")?.lowercased() ?? ""
        guard contentType.contains("x-www-form-urlencoded") || contentType.contains("text/plain"),
            let text = String(data: response.body, encoding: .utf8),
            let pairs = try? OAuth1PercentEncoding.parseForm(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            !pairs.isEmpty
        else { return nil }
        var fields: [String: OAuth2JSONValue] = [:]
        for pair in pairs where fields[pair.name] == nil { fields[pair.name] = .string(pair.value) }
        return fields
    }

    /// The error the response carries, or `nil` for a success response.
    ///
    /// A non-2xx status is always an error; a 2xx one is when its body has an `error`
    /// field and no `access_token` (GitHub answers `200 {"error": "bad_verification_code"}`).
    func error(in response: OAuth1HTTPResponse, fields: [String: OAuth2JSONValue]?) -> OAuth2Error? {
        let success = (200..<300).contains(response.status)
        if let fields, let errorCode = fields["error"]?.string, !success || fields["access_token"] == nil {
            let known = OAuth2Error.Code(protocolErrorCode: errorCode)
            let shown = OAuth2Text.sanitized(errorCode, redacting: secrets, maximumLength: 64) ?? "?"
            return OAuth2Error(
                known ?? .providerRejected,
                message: "\(host) refused the \(operation): \(shown)" + advice(for: known),
                httpStatus: response.status,
                providerErrorCode: OAuth2Text.sanitized(errorCode, redacting: secrets),
                providerDescription: fields["error_description"]?.string.flatMap {
                    OAuth2Text.sanitized($0, redacting: secrets)
                },
                providerErrorURI: fields["error_uri"]?.string.flatMap { OAuth2Text.sanitized($0, redacting: secrets) })
        }
        guard !success else { return nil }
        if response.status == 401 {
            // RFC 6749 section 5.2: a refused client authentication may be answered 401 (with
            // `WWW-Authenticate`); URLSession on Linux loses the body of a 401 that carries an
            // HTTP Basic challenge, so the status alone is read as invalid_client.
            return OAuth2Error(
                .invalidClient,
                message: "\(host) refused the client's authentication for the \(operation) (HTTP 401 with "
                    + "\(Self.bodyKind(response)))" + advice(for: .invalidClient),
                httpStatus: 401)
        }
        return OAuth2Error(
            .providerRejected,
            message: "\(host) answered HTTP \(response.status) to the \(operation) with \(Self.bodyKind(response))",
            httpStatus: response.status)
    }

    private func advice(for code: OAuth2Error.Code?) -> String {
        switch code {
        case .invalidGrant? where operation == "refresh":
            " (the refresh token is invalid, expired, revoked or already used: the user must sign in again)"
        case .invalidGrant?:
            " (the code is invalid, expired or already used, or the redirect URI or PKCE verifier does not match)"
        case .invalidClient?: " (check the client id, secret and authentication method)"
        default: ""
        }
    }

    /// What the body is, in words, without any of its content.
    static func bodyKind(_ response: OAuth1HTTPResponse) -> String {
        if response.body.isEmpty { return "an empty body" }
        if response.body.count > maximumBodyLength { return "a body over \(maximumBodyLength) bytes" }
        let contentType = response.header(named: "Content-Type")?.lowercased() ?? ""
        let start = response.body.prefix(64).drop(while: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D })
        if contentType.contains("html") || start.first == UInt8(ascii: "<") { return "an HTML page" }
        if contentType.contains("json") { return "a JSON body without an OAuth error" }
        return "a body that is not an OAuth error"
    }

    /// The token response in a 2xx reply.
    ///
    /// - Parameters:
    ///   - issuedAt: when the request was sent.
    ///   - previousRefreshToken: the refresh token sent, kept when the reply has none.
    /// - Throws: ``OAuth2Error``: the reply's error, ``OAuth2Error/Code/malformedResponse``,
    ///   ``OAuth2Error/Code/unexpectedTokenType``.
    func tokenResponse(
        from response: OAuth1HTTPResponse, issuedAt: Date, previousRefreshToken: String? = nil
    ) throws(OAuth2Error) -> OAuth2TokenResponse {
        let fields = Self.fields(of: response)
        if let error = error(in: response, fields: fields) { throw error }
        guard let fields else {
            throw malformed(response, "the body is \(Self.bodyKind(response)), not a JSON token response")
        }
        guard let accessToken = fields["access_token"]?.string, !accessToken.isEmpty else {
            throw malformed(response, "it has no access_token")
        }
        guard OAuth2Text.isVisibleASCII(accessToken) else {
            throw malformed(response, "its access_token has characters an Authorization header cannot carry")
        }
        guard let tokenType = fields["token_type"]?.string, !tokenType.isEmpty else {
            throw malformed(response, "it has no token_type")
        }
        guard tokenType.lowercased() == "bearer" else {
            throw OAuth2Error(
                .unexpectedTokenType,
                message: "the \(operation) response from \(host) issued a token of type "
                    + "\(OAuth2Text.sanitized(tokenType, maximumLength: 32) ?? "?"), not Bearer",
                httpStatus: response.status)
        }
        let expiresIn = try expiresIn(fields["expires_in"], response)
        var refreshToken = previousRefreshToken
        var rotated = false
        switch fields["refresh_token"] {
        case nil, .null?: break
        case .string(let value)? where !value.isEmpty && OAuth2Text.isVSCHAR(value):
            refreshToken = value
            rotated = true
        default: throw malformed(response, "its refresh_token is not a string of printable ASCII")
        }
        let scopes: [String]?
        switch fields["scope"] {
        case nil, .null?: scopes = nil
        case .string(let value)?: scopes = value.split(separator: " ").map(String.init)
        default: throw malformed(response, "its scope is not a string")
        }
        let idToken: String?
        switch fields["id_token"] {
        case nil, .null?: idToken = nil
        case .string(let value)?: idToken = value
        default: throw malformed(response, "its id_token is not a string")
        }
        var metadata: [String: String] = [:]
        let known: Set<String> = ["access_token", "token_type", "expires_in", "refresh_token", "scope", "id_token"]
        for (name, value) in fields where !known.contains(name) {
            if let text = value.metadataText { metadata[name] = text }
        }
        return OAuth2TokenResponse(
            accessToken: accessToken, tokenType: tokenType, issuedAt: issuedAt, expiresIn: expiresIn,
            refreshToken: refreshToken, refreshTokenRotated: rotated, scopes: scopes, idToken: idToken,
            metadata: metadata)
    }

    /// `expires_in` as whole seconds in 0...``OAuth2TokenResponse/maximumExpiresIn``; see
    /// ``OAuth2TokenResponse`` for the rules.
    private func expiresIn(_ value: OAuth2JSONValue?, _ response: OAuth1HTTPResponse) throws(OAuth2Error) -> Int64? {
        let maximum = OAuth2TokenResponse.maximumExpiresIn
        let seconds: Int64
        switch value {
        case nil, .null?:
            return nil
        case .integer(let value)?:
            seconds = value
        case .number(let value)?:
            guard value.isFinite else { throw malformed(response, "its expires_in is not a finite number") }
            guard value >= 0 else { throw malformed(response, "its expires_in is negative") }
            guard value <= Double(maximum) else { throw tooLarge(response) }
            // Bounded above, so the conversion cannot trap; rounded down (expire early).
            seconds = Int64(value.rounded(.down))
        case .string(let text)?:
            guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                if text.hasPrefix("-") { throw malformed(response, "its expires_in is negative") }
                throw malformed(response, "its expires_in is not a whole number of seconds")
            }
            // 18 digits always fit an Int64; more are beyond the maximum anyway.
            guard text.utf8.count <= 18, let value = Int64(text) else { throw tooLarge(response) }
            seconds = value
        default:
            throw malformed(response, "its expires_in is not a number")
        }
        guard seconds >= 0 else { throw malformed(response, "its expires_in is negative") }
        guard seconds <= maximum else { throw tooLarge(response) }
        return seconds
    }

    private func tooLarge(_ response: OAuth1HTTPResponse) -> OAuth2Error {
        malformed(response, "its expires_in is more than \(OAuth2TokenResponse.maximumExpiresIn) seconds (ten years)")
    }

    /// The body is never kept: a half-valid token response may hold a token.
    func malformed(_ response: OAuth1HTTPResponse, _ detail: String) -> OAuth2Error {
        OAuth2Error(
            .malformedResponse, message: "the \(operation) response from \(host) is malformed: \(detail)",
            httpStatus: response.status)
    }
}
