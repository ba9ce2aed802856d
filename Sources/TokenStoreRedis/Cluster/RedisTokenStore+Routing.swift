import TokenStoreIO
import TokenStoreKit

/// A call's replies from one cluster node: decoded, or, when one of them redirects, their
/// bytes (nothing decoded).
enum RoutedReplies<Value: Sendable>: Sendable {
    case value(Value)
    case redirected([UInt8])
}

extension RedisTokenStore {
    /// The most `MOVED` redirects one call follows (and `ASK` redirects in a row).
    static let maxRedirects = 5
    /// How long one call keeps retrying `TRYAGAIN` and `CLUSTERDOWN`.
    static let maxRedirectWait: Duration = .seconds(2)

    /// ``roundTrip(_:slot:_:decode:)`` in a cluster: sent to the node serving `slot`,
    /// batched with the other calls to it. Each call checks its own replies for a redirect
    /// before decoding them, so one call's redirect never touches the others' replies in
    /// the pipeline; a redirected call goes on alone (``followRedirects``).
    ///
    /// `build` writes straight into the pipeline, as without a cluster; it runs again only
    /// when the request's bytes are needed after all (a redirect to follow, or a read to
    /// send again after its node failed), so it must write the same commands each time.
    /// `waitBytes`: as in ``roundTrip(on:_:waitBytes:_:decode:)``.
    func routedRoundTrip<Value: Sendable>(
        _ router: RedisClusterRouter, _ operation: String, slot: UInt16, waitBytes: Int = 0, _ build: (inout RESPWriter) -> Void,
        decode: @escaping ReplyDecoder<Value>
    ) async throws -> Value {
        let routedDecode: ReplyDecoder<RoutedReplies<Value>> = { parser, count in
            if let replies = parser.repliesIfRedirected(count) { return .redirected(replies) }
            return .value(decode(&parser, count))
        }
        var node: RedisNode
        if let known = router.servingNode(for: slot) {
            node = known
        } else {
            node = try await router.node(for: slot, operation: operation)
        }
        var routed: RoutedReplies<Value>
        do {
            routed = try await roundTrip(on: node, operation, waitBytes: waitBytes, build, decode: routedDecode)
        } catch let error as TokenStoreError where error.code == .unavailable || error.code == .timedOut {
            router.nodeFailed(node)
            // A read may run again, once, where a fresh map sends it (a write may have run).
            var request = RESPWriter()
            build(&request)
            guard error.code == .unavailable, RedisRoutedCall.isReadOnly(request.bytes, commands: request.commandCount) else { throw error }
            try await router.refreshUnlessFresh(operation: operation)
            node = try await router.node(for: slot, operation: operation)
            do {
                routed = try await roundTrip(on: node, operation, waitBytes: waitBytes, build, decode: routedDecode)
            } catch let error as TokenStoreError where error.code == .unavailable || error.code == .timedOut {
                router.nodeFailed(node)
                throw error
            }
        }
        switch routed {
        case .value(let value):
            return value
        case .redirected(let replies):
            var request = RESPWriter()
            build(&request)
            var call = RedisRoutedCall(request: request.bytes, commands: request.commandCount)
            call.record(replies, from: node.endpoint)
            return try await followRedirects(router, operation, slot: slot, call: call, decode: decode)
        }
    }

    /// Sends the redirected parts of `call` where the cluster says, until every part has
    /// its replies, then decodes them all as one reply stream. A part is one command or one
    /// `MULTI`...`EXEC` block: a redirected part did not run (the node refused it before
    /// running anything), so sending it again is safe also for writes, and parts that ran
    /// keep their replies.
    private func followRedirects<Value: Sendable>(
        _ router: RedisClusterRouter, _ operation: String, slot: UInt16, call: RedisRoutedCall, decode: ReplyDecoder<Value>
    ) async throws -> Value {
        var call = call
        var redirects = 0
        var asks = 0
        var backoff: Duration = .milliseconds(10)
        let deadline = ContinuousClock.now + Self.maxRedirectWait
        func fail(_ message: String) -> TokenStoreError {
            TokenStoreError(.unavailable, store: displayName, operation: operation, message: "slot \(slot): " + message)
        }
        while let redirect = call.pendingRedirect {
            let node: RedisNode
            var asking = false
            switch redirect {
            case .moved(let movedSlot, let target):
                redirects += 1
                guard redirects <= Self.maxRedirects else { throw fail("more than \(Self.maxRedirects) redirects (the cluster's slot map keeps changing)") }
                node = router.moved(movedSlot, to: target)
            case .ask(_, let target):
                // ASK, then TRYAGAIN from the target, repeats while keys move: bounded by time.
                asks += 1
                guard asks <= Self.maxRedirects else { throw fail("more than \(Self.maxRedirects) ASK redirects in a row (a slot migration is under way)") }
                node = router.node(at: target)
                asking = true
            case .tryAgain, .clusterDown:
                asks = 0
                guard ContinuousClock.now + backoff < deadline else {
                    throw fail(
                        redirect == .tryAgain
                            ? "the cluster answered TRYAGAIN for \(Self.maxRedirectWait) (its keys are being migrated)"
                            : "the cluster is down (CLUSTERDOWN for \(Self.maxRedirectWait); a failover may be under way)")
                }
                if redirect == .clusterDown { router.scheduleRefresh() }
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .milliseconds(200))
                node = try await router.node(for: slot, operation: operation)
            }
            let parts = call.pendingParts
            let request = call.request
            let replies: [UInt8]
            do {
                replies = try await withConnection(on: node, operation) { connection in
                    try await connection.exchange({ out in
                        for part in parts {
                            if asking {
                                // ASKING holds for the next command, and through a MULTI...EXEC block.
                                out.command(1)
                                out.argument("ASKING")
                            }
                            out.append(encoded: Array(request[part.bytes]), commands: part.commands)
                        }
                    }) { parser, _ in
                        var bytes: [UInt8] = []
                        for part in parts {
                            if asking {
                                let reply = parser.reply()
                                if let message = reply.errorMessage {
                                    throw RedisErrorMapping.error(message, store: displayName, operation: operation)
                                }
                            }
                            bytes += parser.copyReplies(part.commands)
                        }
                        return bytes
                    }
                }
            } catch let error as TokenStoreError where error.code == .unavailable || error.code == .timedOut {
                router.nodeFailed(node)
                throw error
            }
            call.record(replies, from: node.endpoint)
        }
        return call.replyBytes.withUnsafeBytes { buffer in
            var parser = RESPParser(buffer)
            return parser.decode(call.commands, with: decode)
        }
    }
}

extension TokenStoreError {
    /// Whether the server's reply behind this error was a cluster redirect.
    var isClusterRedirect: Bool { message.contains("replied: MOVED ") || message.contains("replied: ASK ") }
}
