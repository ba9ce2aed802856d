import Foundation

/// An HTTP request as the signer and the transport see it.
///
/// The URL is kept exactly as given: its query is part of the signature, decoded per
/// RFC 5849 section 3.4.1.3.1.
public struct OAuth1HTTPRequest: Sendable, Hashable, CustomStringConvertible {
    /// The HTTP method, e.g. `GET`; uppercased in the signature base string.
    public var method: String
    /// The full request URL, including any query.
    public var url: URL
    /// The header fields, in order.
    public var headers: OAuth1HTTPHeaders
    /// The request body, if any.
    public var body: Data?

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - url: The full URL, including any query.
    ///   - headers: The header fields.
    ///   - body: The body, if any.
    public init(method: String = "GET", url: URL, headers: OAuth1HTTPHeaders = [:], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of the first header named `name` (case-insensitive), if any.
    public func header(named name: String) -> String? { headers.header(named: name) }

    /// Replaces every header named `name` with one `name: value` field.
    public mutating func setHeader(_ name: String, _ value: String) { headers.setHeader(name, value) }

    /// Whether the body is `application/x-www-form-urlencoded` per the `Content-Type`
    /// header (parameters such as `charset` ignored).
    public var hasFormBody: Bool {
        guard let contentType = header(named: "Content-Type") else { return false }
        let bytes = contentType.utf8
        let end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var mediaType = bytes[bytes.startIndex..<end]
        while let first = mediaType.first, isSpace(first) { mediaType = mediaType.dropFirst() }
        while let last = mediaType.last, isSpace(last) { mediaType = mediaType.dropLast() }
        return OAuth1HTTPHeaders.asciiCaseInsensitiveEqual(mediaType, Self.formMediaType)
    }

    private static let formMediaType = Array("application/x-www-form-urlencoded".utf8)

    /// Method, URL (with any `oauth_signature` value redacted: a PLAINTEXT signature is the
    /// secrets), headers (credentials redacted) and body size.
    public var description: String {
        "\(method) \(Self.redactingSignature(url.absoluteString)) \(headers) body: \(body.map { "\($0.count) bytes" } ?? "none")"
    }

    static func redactingSignature(_ text: String) -> String {
        guard let start = text.range(of: "oauth_signature=") else { return text }
        let end = text[start.upperBound...].firstIndex(where: { $0 == "&" || $0 == "#" }) ?? text.endIndex
        return text[..<start.upperBound] + "<redacted>" + text[end...]
    }
}
