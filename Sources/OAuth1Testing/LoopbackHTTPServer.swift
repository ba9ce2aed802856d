import FlyingFox
import FlyingSocks
import Foundation

/// A FlyingFox server on 127.0.0.1 on a free port, running until ``stop()``: what the local
/// OAuth 1.0a and OAuth 2.0 providers listen with.
package struct LoopbackHTTPServer: Sendable {
    /// One route and what answers it.
    package typealias Route = (route: String, handler: @Sendable (HTTPRequest) async -> HTTPResponse)

    /// The server's root URL, e.g. `http://127.0.0.1:54321`.
    package let baseURL: URL
    private let server: HTTPServer
    private let acceptLoop: Task<Void, Never>

    /// How long ``start(routes:portNotFound:)`` waits for the server to listen.
    ///
    /// FlyingFox waits 5 s by default, which a loaded machine (parallel compiler jobs on 2
    /// cores) outlasts before the accept loop first runs: a minute.
    package static let listeningTimeout: TimeInterval = 60

    /// Starts listening with `routes`.
    ///
    /// - Throws: when the loopback socket cannot be opened or the server is not listening
    ///   within ``listeningTimeout``; `portNotFound` when it listens on no IPv4 port. The
    ///   server never outlives a failed start.
    package static func start(routes: [Route], portNotFound: any Error) async throws -> LoopbackHTTPServer {
        // IPv4 loopback: FlyingFox's `.loopback` is ::1, which not every client resolves to.
        let server = HTTPServer(address: try sockaddr_in.inet(ip4: "127.0.0.1", port: 0), timeout: 30, logger: .disabled)
        for (route, handler) in routes {
            await server.appendRoute(HTTPRoute(route)) { request in await handler(request) }
        }
        let acceptLoop = Task { _ = try? await server.run() }
        do {
            try await server.waitUntilListening(timeout: listeningTimeout)
        } catch {
            await server.stop()
            acceptLoop.cancel()
            throw error
        }
        guard case .ip4(let host, port: let port) = await server.listeningAddress, let url = URL(string: "http://\(host):\(port)")
        else {
            await server.stop()
            acceptLoop.cancel()
            throw portNotFound
        }
        return LoopbackHTTPServer(baseURL: url, server: server, acceptLoop: acceptLoop)
    }

    /// Stops listening and closes connections.
    package func stop() async {
        await server.stop()
        acceptLoop.cancel()
    }
}
