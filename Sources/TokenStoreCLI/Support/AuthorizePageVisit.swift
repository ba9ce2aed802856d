import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Plays the browser's part at a provider's authorize page: a GET that does not follow
/// the redirect, so the caller sees the `Location` (the app's callback with
/// `oauth_token` and `oauth_verifier`) the provider sends the user to.
enum AuthorizePageVisit {
    /// Fetches `url` and returns the redirect target.
    ///
    /// - Parameters:
    ///   - url: The authorize URL from `begin`.
    ///   - timeout: How long to wait for the page.
    /// - Returns: The absolute `Location` of the provider's 3xx answer.
    /// - Throws: ``CLIFailure`` when the page does not answer with a redirect.
    static func callbackURL(visiting url: URL, timeout: TimeInterval = 10) async throws -> URL {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let refuser = RedirectRefuser()
        let session = URLSession(configuration: configuration, delegate: refuser, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let response: URLResponse
        do {
            (_, response) = try await session.data(for: URLRequest(url: url))
        } catch {
            throw CLIFailure("the authorize page \(url.absoluteString) did not answer: \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw CLIFailure("the authorize page \(url.absoluteString) did not answer over HTTP")
        }
        guard (300..<400).contains(http.statusCode), let location = http.value(forHTTPHeaderField: "Location"),
            let target = URL(string: location, relativeTo: url)?.absoluteURL
        else {
            throw CLIFailure(
                "the authorize page answered HTTP \(http.statusCode) without a redirect to the callback")
        }
        return target
    }
}

/// Declines every redirect so the 3xx response itself is returned.
private final class RedirectRefuser: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
