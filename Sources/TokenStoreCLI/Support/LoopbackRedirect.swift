import FlyingFox
import Foundation
import OAuth1Testing
import Synchronization

/// The RFC 8252 loopback redirect of a native app: listens on `127.0.0.1` on an ephemeral
/// port until the browser arrives at `/callback` once, answers it with a page saying the
/// terminal can take over, and hands over the query.
struct LoopbackRedirect: Sendable {
    /// `http://127.0.0.1:<port>/callback` (an IP literal, not `localhost`: section 8.3).
    let redirectURI: URL
    private let server: LoopbackHTTPServer
    private let arrival: AsyncStream<String>

    private struct NoPort: Error, CustomStringConvertible {
        var description: String { "the loopback listener got no port" }
    }

    static func start() async throws -> LoopbackRedirect {
        let (arrival, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let answered = Atomic<Bool>(false)
        let server = try await LoopbackHTTPServer.start(
            routes: [
                (
                    "GET /callback",
                    { request in
                        // The first arrival wins; a reload gets the same page and changes nothing.
                        if !answered.exchange(true, ordering: .acquiringAndReleasing) {
                            continuation.yield(Self.query(of: request))
                            continuation.finish()
                        }
                        return HTTPResponse(
                            statusCode: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: Data(Self.page.utf8))
                    }
                )
            ], portNotFound: NoPort())
        return LoopbackRedirect(
            redirectURI: server.baseURL.appendingPathComponent("callback"), server: server, arrival: arrival)
    }

    /// The callback's query, or `nil` when nobody arrived within `timeout`.
    func waitForCallback(timeout: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await query in arrival { return query }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    func stop() async { await server.stop() }

    private static func query(of request: HTTPRequest) -> String {
        request.query.map { item in
            let name = item.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? item.name
            let value = item.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? item.value
            return name + "=" + value
        }.joined(separator: "&")
    }

    private static let page = """
        <!doctype html><html><head><meta charset="utf-8"><title>tokenstore</title></head>
        <body><p>Authorization received. You can close this window and return to the terminal.</p></body></html>
        """
}
