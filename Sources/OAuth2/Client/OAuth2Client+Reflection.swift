import Foundation

extension OAuth2Client: CustomStringConvertible, CustomReflectable {
    /// The configuration without secrets: client id, authentication method, endpoints.
    public var description: String {
        "OAuth2Client(clientID: \(credentials.id), method: \(credentials.authenticationMethod.rawValue), "
            + "tokenURL: \(endpoints.tokenURL.absoluteString), redirectURI: \(redirectURI.absoluteString))"
    }

    /// Redacted children only; the transport is shown by its type, so `dump` never walks
    /// into a live `URLSession`.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "credentials": credentials, "endpoints": endpoints, "redirectURI": redirectURI,
                "transport": String(describing: type(of: transport)), "timeout": timeout,
            ], displayStyle: .struct)
    }
}
