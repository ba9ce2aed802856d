import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An ``OAuth1Transport`` on Foundation's `URLSession` (FoundationNetworking on Linux).
///
/// Redirects are not followed: a token endpoint that redirects is answered with its 3xx
/// response, which ``OAuth1Client`` reports as ``OAuth1Error/Code/providerRejected``.
/// Following it would re-send a signed request to a URL the signature was not made for.
/// Cancelling the calling task cancels the request and throws ``OAuth1Error/Code/cancelled``.
///
/// The timeout bounds the whole exchange, not only the idle time between bytes (which is all
/// `URLRequest.timeoutInterval` measures): a provider that trickles its answer still fails
/// with ``OAuth1Error/Code/timedOut`` once the timeout has passed.
public final class URLSessionTransport: OAuth1Transport {
    private let session: URLSession
    private let delegate = NoRedirects()

    /// Creates a transport with its own ephemeral session (no cookies, no cache).
    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    deinit { session.invalidateAndCancel() }

    public func send(_ request: OAuth1HTTPRequest, timeout: Duration) async throws -> OAuth1HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = max(0.001, Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        for (name, value) in request.headers { urlRequest.addValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        let box = TaskBox()
        // Cancels the data task when the whole exchange outlives `timeout`.
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { box.cancel(expired: true) }
        }
        defer { watchdog.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<OAuth1HTTPResponse, any Error>) in
                let delegate = self.delegate
                let task = session.dataTask(with: urlRequest) { data, response, error in
                    // A 401 with an HTTP Basic/Digest challenge ends as a cancelled task (see
                    // NoRedirects); it is the provider's answer, not a cancellation.
                    if error != nil, let challenged = box.taskIdentifier.flatMap(delegate.takeChallengedResponse) {
                        continuation.resume(returning: Self.response(challenged, body: data))
                        return
                    }
                    continuation.resume(
                        with: Self.result(data: data, response: response, error: error, url: request.url, expired: box.expired))
                }
                box.start(task)
            }
        } onCancel: {
            box.cancel(expired: false)
        }
    }

    private static func result(
        data: Data?, response: URLResponse?, error: (any Error)?, url: URL, expired: Bool
    ) -> Result<OAuth1HTTPResponse, any Error> {
        if let error {
            let nsError = error as NSError
            let host = url.host ?? "the provider"
            switch (nsError.domain, nsError.code) {
            case (NSURLErrorDomain, NSURLErrorCancelled) where expired:
                return .failure(OAuth1Error(.timedOut, message: "no complete response from \(host) within the timeout"))
            case (NSURLErrorDomain, NSURLErrorCancelled):
                return .failure(OAuth1Error(.cancelled, message: "the request to \(host) was cancelled"))
            case (NSURLErrorDomain, NSURLErrorTimedOut):
                return .failure(OAuth1Error(.timedOut, message: "no response from \(host) within the timeout", underlying: SendableDescription(error)))
            default:
                return .failure(OAuth1Error(.transportFailure, message: "the request to \(host) failed: \(nsError.localizedDescription)", underlying: SendableDescription(error)))
            }
        }
        guard let http = response as? HTTPURLResponse else {
            return .failure(OAuth1Error(.transportFailure, message: "the response from \(url.host ?? "the provider") was not HTTP"))
        }
        return .success(Self.response(http, body: data))
    }

    private static func response(_ http: HTTPURLResponse, body: Data?) -> OAuth1HTTPResponse {
        var headers = OAuth1HTTPHeaders()
        for (name, value) in http.allHeaderFields {
            headers.addHeader(String(describing: name), String(describing: value))
        }
        return OAuth1HTTPResponse(status: http.statusCode, headers: headers, body: body ?? Data())
    }
}

/// Holds the data task so a cancellation that races with its creation still cancels it.
private final class TaskBox: @unchecked Sendable {
    // Guarded by `lock`; URLSessionDataTask itself is thread-safe to cancel.
    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var cancelled = false
    private var timedOut = false

    /// The data task's identifier, once it exists.
    var taskIdentifier: Int? {
        lock.lock()
        defer { lock.unlock() }
        return task?.taskIdentifier
    }

    /// Whether the watchdog, not the caller, cancelled the task.
    var expired: Bool {
        lock.lock()
        defer { lock.unlock() }
        return timedOut
    }

    func start(_ task: URLSessionDataTask) {
        lock.lock()
        self.task = task
        let cancelled = self.cancelled
        lock.unlock()
        // Resumed even when already cancelled, so the completion handler runs and the
        // continuation is resumed with the cancellation error.
        task.resume()
        if cancelled { task.cancel() }
    }

    func cancel(expired: Bool) {
        lock.lock()
        if !cancelled { timedOut = expired }
        cancelled = true
        let task = self.task
        lock.unlock()
        task?.cancel()
    }
}

/// Refuses HTTP redirects so a signed request is never re-sent elsewhere, and refuses HTTP
/// authentication challenges so a 401 is returned as it is.
///
/// A 401 with `WWW-Authenticate: Basic` (what an OAuth 2.0 token endpoint answers a client
/// whose Basic credentials it refuses, RFC 6749 section 5.2) makes FoundationNetworking ask
/// the delegate for credentials; without an answer the task waits forever (swift-corelibs-
/// foundation #5456), and its only other outcomes are re-sending the request with other
/// credentials or cancelling the task. So the challenge is cancelled, its response kept
/// here by task, and ``URLSessionTransport`` returns that 401 (its body is lost on the way).
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    // Guarded by `lock`: the 401 responses of challenged tasks, by task identifier.
    private let lock = NSLock()
    private var challenged: [Int: HTTPURLResponse] = [:]

    /// The 401 that challenged task `identifier`, if any (removed once taken).
    func takeChallengedResponse(_ identifier: Int) -> HTTPURLResponse? {
        lock.lock()
        defer { lock.unlock() }
        return challenged.removeValue(forKey: identifier)
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        // Server trust (TLS) and anything else: the system's handling.
        let method = challenge.protectionSpace.authenticationMethod
        guard method == NSURLAuthenticationMethodHTTPBasic || method == NSURLAuthenticationMethodHTTPDigest else {
            completionHandler(.performDefaultHandling, nil)
            return
        }
        let response =
            (challenge.failureResponse as? HTTPURLResponse)
            ?? (task.currentRequest?.url).flatMap { HTTPURLResponse(url: $0, statusCode: 401, httpVersion: nil, headerFields: nil) }
        if let response {
            lock.lock()
            challenged[task.taskIdentifier] = response
            lock.unlock()
        }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

/// An error's text, kept as a `Sendable` value (Foundation's errors are not all `Sendable`).
struct SendableDescription: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = String(describing: error) }
}
