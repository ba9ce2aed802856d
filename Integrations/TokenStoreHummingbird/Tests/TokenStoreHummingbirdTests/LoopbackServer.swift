import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix

// The app under test runs as a real server on a loopback port and is driven over HTTP/1.1
// with SwiftNIO, which Hummingbird already builds. HummingbirdTesting would do the same, but
// it links async-http-client and with it swift-nio-ssl (BoringSSL) and swift-nio-http2, which
// made a clean build of this package several times longer.

/// One response, as the tests read it. Redirects are never followed, so a 302 or 303 is
/// the response itself.
struct LoopbackResponse: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer
}

/// A minimal HTTP/1.1 client for the server on `127.0.0.1:port`: one connection per request.
struct LoopbackClient: Sendable {
    let port: Int

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields) async throws -> LoopbackResponse {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method.rawValue), uri: uri)
            head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
            head.headers.add(name: "Connection", value: "close")
            for field in headers { head.headers.add(name: field.name.rawName, value: field.value) }
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))

            var responseHead: HTTPResponseHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let received): responseHead = received
                case .body(var chunk): body.writeBuffer(&chunk)
                case .end:
                    guard let responseHead else { throw LoopbackError("a response ended without a head") }
                    var fields = HTTPFields()
                    for (name, value) in responseHead.headers {
                        guard let fieldName = HTTPField.Name(name) else { throw LoopbackError("bad header name \(name)") }
                        fields.append(HTTPField(name: fieldName, value: value))
                    }
                    return LoopbackResponse(status: .init(code: Int(responseHead.status.code)), headers: fields, body: body)
                }
            }
            throw LoopbackError("the connection closed before the response ended")
        }
    }
}

struct LoopbackError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs an `Application` serving `router` on a free loopback port (the kernel picks it),
/// calls `body` with a client for it, then stops the server.
func withLoopbackServer(
    router: Router<BasicRequestContext>, _ body: (LoopbackClient) async throws -> Void
) async throws {
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            if let port = channel.localAddress?.port { portContinuation.yield(port) }
            portContinuation.finish()
        })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            // A server that fails to start ends the stream too, so the wait below ends.
            defer { portContinuation.finish() }
            try await app.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await group.next()  // rethrows the server's error, if it threw one
            throw LoopbackError("the server stopped before it listened")
        }
        do {
            try await body(LoopbackClient(port: port))
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}
