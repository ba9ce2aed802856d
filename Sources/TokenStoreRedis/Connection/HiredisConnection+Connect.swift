import CTokenStoreHiredis
import Dispatch
import Glibc
import TokenStoreIO
import TokenStoreKit

extension HiredisConnection {
    /// Opens a connection: non-blocking connect, then `AUTH`, `SELECT` and `PING` in one
    /// round trip, all within `connectTimeout`.
    ///
    /// - Throws: ``TokenStoreError``: `unavailable` (refused, unreachable), `timedOut`,
    ///   `authenticationFailed`, `misconfigured` (no such database).
    static func connect(_ configuration: RedisTokenStore.Configuration, store: String) async throws -> HiredisConnection {
        let deadline = ContinuousClock.now + configuration.connectTimeout
        let endpoint = configuration.endpoint
        func fail(_ code: TokenStoreError.Code, _ message: String) -> TokenStoreError {
            TokenStoreError(code, store: store, operation: "connect", message: message)
        }
        let rawContext: UnsafeMutablePointer<redisContext>?
        switch endpoint {
        case .tcp(let host, let port):
            let address = try await numericAddress(host, fail: fail)
            rawContext = redisConnectNonBlock(address, Int32(port))
        case .unixSocket(let path):
            rawContext = redisConnectUnixNonBlock(path)
        }
        guard let rawContext else { throw fail(.unavailable, "hiredis could not allocate a context") }
        let connection = HiredisConnection(
            context: rawContext, endpoint: endpoint, store: store, operationTimeout: configuration.operationTimeout,
            maxReplyBytes: configuration.maxReplyBytes)
        if rawContext.pointee.err != 0 {
            let text = connection.errorText()
            connection.closeNow()
            throw fail(.unavailable, "cannot connect to \(endpoint): \(text)")
        }
        do {
            try await connection.finishConnecting(deadline: deadline)
            try await connection.handshake(configuration, deadline: deadline)
        } catch let error as TokenStoreError {
            connection.closeNow()
            var error = error
            error.operation = "connect"
            if error.code == .timedOut {
                // The handshake's waits report the command timeout's words; the deadline
                // that fired is the connect timeout's.
                error.message = connectTimeoutMessage(error.message, configuration.connectTimeout)
            }
            throw error
        } catch {
            connection.closeNow()
            throw error
        }
        return connection
    }

    /// The message of a connect that ran past `timeout`: which step was waiting, and the
    /// setting to raise, with its value.
    private static func connectTimeoutMessage(_ original: String, _ timeout: Duration) -> String {
        let step = original.hasPrefix("connecting") ? "the TCP connection was not established" : "the server did not answer the handshake (AUTH, SELECT, PING)"
        return "\(step) within the connect timeout of \(timeout) (raise connect_timeout if the server is slow to accept)"
    }

    private func finishConnecting(deadline: ContinuousClock.Instant) async throws {
        do {
            try await SocketWaiter.shared.wait(for: .writable, on: fd, deadline: deadline, spin: .microseconds(20))
        } catch .timedOut {
            throw failure(.timedOut, "connecting took longer than the connect timeout")
        } catch .cancelled {
            throw CancellationError()
        } catch .failed {
            // Fall through: SO_ERROR below names the reason.
        }
        var socketError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length) != 0 { socketError = errno }
        if socketError != 0 {
            throw failure(.unavailable, "cannot connect: " + Self.describe(errno: socketError))
        }
        if case .tcp = endpoint { _ = redisEnableKeepAlive(context) }
    }

    private func handshake(_ configuration: RedisTokenStore.Configuration, deadline: ContinuousClock.Instant) async throws {
        let replies = try await pipeline(deadline: deadline) { out in
            if let password = configuration.password {
                if let user = configuration.username {
                    out.command(3)
                    out.argument("AUTH")
                    out.argument(user)
                    out.argument(password)
                } else {
                    out.command(2)
                    out.argument("AUTH")
                    out.argument(password)
                }
            }
            if configuration.database != 0 {
                out.command(2)
                out.argument("SELECT")
                out.argument(configuration.database)
            }
            out.command(1)
            out.argument("PING")
        }
        var index = 0
        if configuration.password != nil {
            if let message = replies[index].errorMessage {
                var error = RedisErrorMapping.error(message, store: store, operation: "connect")
                error.code = .authenticationFailed
                throw error
            }
            index += 1
        }
        if configuration.database != 0 {
            if let message = replies[index].errorMessage {
                throw TokenStoreError(
                    .misconfigured, store: store, operation: "connect",
                    message: "SELECT \(configuration.database) failed: the server replied: \(RedisErrorMapping.sanitize(message)) (check the database number in the URL; the server's `databases` setting bounds it)")
            }
            index += 1
        }
        if let message = replies[index].errorMessage {
            var error = RedisErrorMapping.error(message, store: store, operation: "connect")
            if message.uppercased().hasPrefix("NOAUTH") {
                error.message += "; the server requires a password and the URL has none"
            }
            throw error
        }
    }

    /// `host` as a numeric address. Names are resolved by `getaddrinfo` on a Dispatch
    /// queue, since it may block on DNS; only connects pay that hop.
    private static func numericAddress(_ host: String, fail: (TokenStoreError.Code, String) -> TokenStoreError) async throws -> String {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 { return host }
        let result: Result<String, TokenStoreError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: resolve(host))
            }
        }
        switch result {
        case .success(let address): return address
        case .failure(let error): throw fail(error.code, error.message)
        }
    }

    private static func resolve(_ host: String) -> Result<String, TokenStoreError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        guard status == 0, let first = list else {
            let reason = gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            return .failure(TokenStoreError(.unavailable, store: "", operation: "connect", message: "cannot resolve host '\(host)': \(reason)"))
        }
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(first.pointee.ai_addr, first.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return .failure(TokenStoreError(.unavailable, store: "", operation: "connect", message: "cannot resolve host '\(host)'"))
        }
        return .success(String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
