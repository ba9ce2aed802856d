import OAuth1

/// The `Bearer` challenge of a resource server's `WWW-Authenticate` header (RFC 6750
/// section 3): why an API refused an access token.
///
/// ```swift
/// let response = try await client.send(request, accessToken: tokens.accessToken)
/// if response.status == 401, OAuth2BearerChallenge(response: response)?.isInvalidToken ?? true {
///     // expired or revoked: refresh once, then retry
/// }
/// ```
///
/// Values are sanitized like an ``OAuth2Error``'s provider text (bounded, no control
/// characters).
public struct OAuth2BearerChallenge: Sendable, Hashable {
    /// `realm`, if given.
    public var realm: String?
    /// `error`: `invalid_request`, `invalid_token` or `insufficient_scope`, if given.
    public var error: String?
    /// `error_description`, if given.
    public var errorDescription: String?
    /// `scope`, split on spaces: the scopes the resource needs, if given.
    public var scopes: [String]?

    /// Whether the token is expired, revoked or otherwise invalid (`invalid_token`): refresh
    /// and retry once.
    public var isInvalidToken: Bool { error == "invalid_token" }
    /// Whether the token lacks a scope the resource needs (`insufficient_scope`): the user
    /// must authorize more.
    public var isInsufficientScope: Bool { error == "insufficient_scope" }

    /// Creates a challenge from its values.
    public init(realm: String? = nil, error: String? = nil, errorDescription: String? = nil, scopes: [String]? = nil) {
        self.realm = realm
        self.error = error
        self.errorDescription = errorDescription
        self.scopes = scopes
    }

    /// The `Bearer` challenge among the response's `WWW-Authenticate` headers, or `nil`
    /// when there is none.
    public init?(response: OAuth1HTTPResponse) {
        for value in response.headers.values(named: "WWW-Authenticate") {
            if let challenge = OAuth2BearerChallenge(headerValue: value) {
                self = challenge
                return
            }
        }
        return nil
    }

    /// The `Bearer` challenge in one `WWW-Authenticate` value, which may list several
    /// challenges (`Basic realm="a", Bearer error="invalid_token"`); `nil` when it has none.
    public init?(headerValue: String) {
        guard let parameters = Self.bearerParameters(in: Array(headerValue.utf8.prefix(8192))) else { return nil }
        func value(_ name: String) -> String? {
            parameters.first(where: { $0.name.lowercased() == name }).flatMap { OAuth2Text.sanitized($0.value) }
        }
        self.init(
            realm: value("realm"), error: value("error"), errorDescription: value("error_description"),
            scopes: value("scope").map { $0.split(separator: " ").map(String.init) })
    }

    /// The auth-params of the `Bearer` challenge (RFC 9110 section 11.6.1 syntax), or `nil`.
    private static func bearerParameters(in bytes: [UInt8]) -> [OAuth1Parameter]? {
        var index = 0
        var inBearer = false
        var found = false
        var parameters: [OAuth1Parameter] = []
        func skip(_ isSkipped: (UInt8) -> Bool) { while index < bytes.count, isSkipped(bytes[index]) { index += 1 } }
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        while index < bytes.count {
            skip { isSpace($0) || $0 == UInt8(ascii: ",") }
            let start = index
            skip(isTokenCharacter)
            guard index > start else {
                index += 1  // not a token: skip the byte
                continue
            }
            let token = String(decoding: bytes[start..<index], as: UTF8.self)
            let afterToken = index
            skip(isSpace)
            if index < bytes.count, bytes[index] == UInt8(ascii: "="), !(index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "=")) {
                // name=value, a parameter of the current challenge.
                index += 1
                skip(isSpace)
                let value = readValue(bytes, &index)
                if inBearer { parameters.append(OAuth1Parameter(name: token, value: value)) }
            } else {
                // A scheme name starts a new challenge. (Another scheme's token68 reads as
                // one more scheme name, which is harmless: it is not "Bearer".)
                index = afterToken
                skip { $0 == UInt8(ascii: "=") }  // token68 padding
                if found && inBearer { break }
                inBearer = token.lowercased() == "bearer"
                found = found || inBearer
            }
        }
        return found ? parameters : nil
    }

    /// A token or a quoted string (backslash escapes undone), advancing `index` past it.
    private static func readValue(_ bytes: [UInt8], _ index: inout Int) -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            let start = index
            while index < bytes.count, isTokenCharacter(bytes[index]) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        index += 1
        var value: [UInt8] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
            value.append(bytes[index])
            index += 1
        }
        index += 1  // the closing quote
        return String(decoding: value, as: UTF8.self)
    }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
