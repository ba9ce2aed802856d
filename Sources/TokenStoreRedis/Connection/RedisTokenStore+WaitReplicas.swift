import TokenStoreKit

extension RedisTokenStore {
    /// A write call's round trip when the store waits for replicas
    /// (``Configuration/waitReplicas``): `WAIT n ms` follows the call's commands, on the
    /// same connection and right after them, so it covers them whatever the coalescer
    /// pipelines around them (in a cluster the router sends it again after them when they
    /// are redirected, see ``RedisRoutedCall``). The call's value is returned only when
    /// enough replicas acknowledged, or when every reply of the call is an error (nothing
    /// was written: a `NOSCRIPT` is then sent again by the caller); else `timedOut`.
    func waitingRoundTrip<Value: Sendable>(
        _ operation: String, slot: UInt16, _ build: (inout RESPWriter) -> Void, decode: @escaping ReplyDecoder<Value>
    ) async throws -> Value {
        let replicas = configuration.waitReplicas
        let milliseconds = configuration.waitReplicasMilliseconds
        let (value, wroteNothing, acknowledged) = try await roundTrip(
            operation, slot: slot,
            { out in
                build(&out)
                Self.writeWait(&out, replicas: replicas, milliseconds: milliseconds)
            }
        ) { parser, count in
            let wroteNothing = parser.areAllErrors(count - 1)
            // `decode` may leave some of its replies unread: `WAIT`'s follows them all.
            return (parser.decode(count - 1, with: decode), wroteNothing, parser.reply())
        }
        if !wroteNothing { try checkReplicas(acknowledged, operation: operation) }
        return value
    }

    /// Waits for replicas on `connection` for the writes it sent before (a call that
    /// holds a connection for several round trips, like the bulk load); nothing when the
    /// store does not wait for replicas.
    func waitForReplicas(on connection: HiredisConnection, operation: String) async throws {
        let replicas = configuration.waitReplicas
        guard replicas > 0 else { return }
        let milliseconds = configuration.waitReplicasMilliseconds
        let reply = try await connection.exchange({ out in Self.writeWait(&out, replicas: replicas, milliseconds: milliseconds) }) {
            parser, _ in parser.reply()
        }
        try checkReplicas(reply, operation: operation)
    }

    static func writeWait(_ out: inout RESPWriter, replicas: Int, milliseconds: Int64) {
        out.command(3)
        out.argument("WAIT")
        out.argument(replicas)
        out.argument(milliseconds)
    }

    /// `WAIT`'s reply: enough replicas acknowledged, or `timedOut` (the write reached the
    /// primary and may or may not survive a failover; a taken token is never handed out).
    private func checkReplicas(_ reply: RedisReply, operation: String) throws {
        guard case .integer(let count) = reply else { throw unexpected(operation, reply) }
        let replicas = configuration.waitReplicas
        if count < replicas {
            throw TokenStoreError(
                .timedOut, store: displayName, operation: operation,
                message: "the write reached the primary but only \(count) of \(replicas) replicas acknowledged it within "
                    + "\(configuration.waitReplicasMilliseconds) ms (wait_replicas_timeout): a failover now could lose it")
        }
    }
}

extension RESPParser {
    /// Whether each of the next `count` replies is an error (and there is at least one);
    /// consumes nothing.
    func areAllErrors(_ count: Int) -> Bool {
        var position = index
        for _ in 0..<count {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "-") else { return false }
            position = ((try? Self.replyEnd(in: bytes, from: position)) ?? nil) ?? bytes.count
        }
        return count > 0
    }
}
