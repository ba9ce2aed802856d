/// Sends HTTP requests for ``OAuth1Client``.
///
/// The default is ``URLSessionTransport``. Provide your own to route requests through an
/// existing HTTP client (AsyncHTTPClient, a proxy, a recorder in tests).
///
/// Implementations return every HTTP response, whatever its status, and throw
/// ``OAuth1Error`` only when no response was received: ``OAuth1Error/Code/transportFailure``,
/// ``OAuth1Error/Code/timedOut`` or ``OAuth1Error/Code/cancelled``.
public protocol OAuth1Transport: Sendable {
    /// Sends `request` and returns the response, or throws when none arrived within `timeout`.
    func send(_ request: OAuth1HTTPRequest, timeout: Duration) async throws -> OAuth1HTTPResponse
}
