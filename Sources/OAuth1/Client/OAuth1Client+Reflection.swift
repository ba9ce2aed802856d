import Foundation

extension OAuth1Client: CustomStringConvertible, CustomReflectable {
    /// The configuration without secrets: the consumer key, callback, endpoints and method.
    public var description: String {
        "OAuth1Client(consumerKey: \(credentials.key), callback: \(callback.parameterValue), "
            + "requestTokenURL: \(endpoints.requestTokenURL.absoluteString), method: \(signatureMethod.name))"
    }

    /// Redacted children only; the transport is shown by its type, so `dump` never walks into a
    /// live `URLSession` (whose internals change under other threads).
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "credentials": credentials, "callback": callback, "endpoints": endpoints,
                "signatureMethod": signatureMethod.name, "placement": placement,
                "transport": String(describing: type(of: transport)), "timeout": timeout,
            ], displayStyle: .struct)
    }
}

extension URLSessionTransport: CustomReflectable {
    /// No children: the session's internals are neither useful nor safe to walk.
    public var customMirror: Mirror { Mirror(self, children: [:], displayStyle: .class) }
}
