import Foundation

/// An HTTP response as the transport returns it.
public struct OAuth1HTTPResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// The header fields, in order.
    public var headers: OAuth1HTTPHeaders
    /// The body (empty when there is none).
    public var body: Data

    /// Creates a response.
    public init(status: Int, headers: OAuth1HTTPHeaders = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header named `name` (case-insensitive), if any.
    public func header(named name: String) -> String? { headers.header(named: name) }
}
