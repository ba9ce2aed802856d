import TokenStoreIO
import TokenStoreKit

extension RedisTokenStore {
    /// A write call's round trip when the store waits for replicas
    /// (``Configuration/waitReplicas``): `WAIT n ms` follows the call's commands on the same
    /// connection, so it covers them whatever the coalescer pipelines around them. A
    /// pipeline that carries several such calls sends one `WAIT`, after them all, and each
    /// call reads its answer (``leadSharingWait(on:_:request:commands:waitBytes:decode:followers:)``);
    /// in a cluster the router sends it again after a call's commands when they are
    /// redirected (see ``RedisRoutedCall``). The call's value is returned only when enough
    /// replicas acknowledged, or when every reply of the call is an error (nothing was
    /// written: a `NOSCRIPT` is then sent again by the caller); else `timedOut`.
    func waitingRoundTrip<Value: Sendable>(
        _ operation: String, slot: UInt16, _ build: (inout RESPWriter) -> Void, decode: @escaping ReplyDecoder<Value>
    ) async throws -> Value {
        let wait = waitCommand
        let waitingDecode: ReplyDecoder<(Value, Bool, RedisReply)> = { parser, count in
            let wroteNothing = parser.areAllErrors(count - 1)
            // `decode` may leave some of its replies unread: `WAIT`'s follows them all.
            return (parser.decode(count - 1, with: decode), wroteNothing, parser.reply())
        }
        let (value, wroteNothing, acknowledged) = try await sendRoundTrip(
            operation, slot: slot, waitBytes: wait.count,
            { out in
                build(&out)
                out.append(encoded: wait, commands: 1)
            }, decode: waitingDecode)
        if !wroteNothing { try checkReplicas(acknowledged, operation: operation) }
        return value
    }

    /// How many of a pipeline's calls (its leader's, whose request ends with `waitBytes` of
    /// `WAIT`, and its followers') end with the store's `WAIT`.
    static func waitingCalls(_ waitBytes: Int, _ followers: [RedisCoalescer.Follower]) -> Int {
        followers.reduce(waitBytes > 0 ? 1 : 0) { $0 + ($1.job.waitBytes > 0 ? 1 : 0) }
    }

    /// A request's `commands` without its trailing `WAIT` (`waitBytes` of it, or none).
    private static func commands(_ commands: Int, _ waitBytes: Int) -> Int {
        waitBytes > 0 ? commands - 1 : commands
    }

    /// A leader's pipeline when several of its calls end with the store's `WAIT`: each
    /// call's commands go without it, and one `WAIT` follows them all. `WAIT` blocks the
    /// connection until enough replicas acknowledged every write sent on it before, so one
    /// covers the whole pipeline, where a `WAIT` per call made the server wait for the
    /// replicas once per call, in turn (each call's acknowledgement waiting for the ones
    /// before it). Each waiting call then decodes its own replies followed by that one
    /// `WAIT`'s, so its check (and, in a cluster, its redirect handling) reads what it
    /// would have read from its own. Ends nothing: the caller (`lead`) ends the turn.
    func leadSharingWait<Value: Sendable>(
        on node: RedisNode, _ operation: String, request: [UInt8], commands: Int, waitBytes: Int,
        decode: @escaping ReplyDecoder<Value>, followers: [RedisCoalescer.Follower]
    ) async throws -> Value {
        let coalescer = node.coalescer
        let wait = waitCommand
        var sent = false
        do {
            return try await withConnection(on: node, operation) { connection in
                sent = true
                return try await connection.exchange(cancellable: false, { out in
                    out.append(encoded: request.dropLast(waitBytes), commands: Self.commands(commands, waitBytes))
                    for follower in followers {
                        let job = follower.job
                        out.append(encoded: job.request.dropLast(job.waitBytes), commands: Self.commands(job.commands, job.waitBytes))
                    }
                    out.append(encoded: wait, commands: 1)
                }) { parser, _ in
                    // Where each call's replies are, then the one `WAIT`'s.
                    func replies(_ count: Int) -> Range<Int> {
                        let start = parser.index
                        for _ in 0..<count { parser.skip() }
                        return start..<parser.index
                    }
                    let own = replies(Self.commands(commands, waitBytes))
                    let carried = followers.map { replies(Self.commands($0.job.commands, $0.job.waitBytes)) }
                    let waitReply = replies(1)
                    let bytes = parser.bytes
                    /// Runs `body` on a parser at `range`'s replies, followed by the `WAIT`
                    /// reply when `waits`.
                    func reading<R>(_ range: Range<Int>, waits: Bool, _ body: (inout RESPParser) -> R) -> R {
                        guard waits else {
                            var at = RESPParser(bytes)
                            at.index = range.lowerBound
                            return body(&at)
                        }
                        let joined = Array(bytes[range]) + Array(bytes[waitReply])
                        return joined.withUnsafeBytes { buffer in
                            var at = RESPParser(buffer)
                            return body(&at)
                        }
                    }
                    let value = reading(own, waits: waitBytes > 0) { $0.decode(commands, with: decode) }
                    for (follower, range) in zip(followers, carried) {
                        reading(range, waits: follower.job.waitBytes > 0) { follower.job.decodeReplies(&$0) }
                        coalescer.deliver(.success(()), to: follower)
                    }
                    return value
                }
            }
        } catch {
            coalescer.abandon(followers, after: error, sent: sent)
            throw error
        }
    }

    /// Waits for replicas on `connection` for the writes it sent before (a call that
    /// holds a connection for several round trips, like the bulk load); nothing when the
    /// store does not wait for replicas.
    func waitForReplicas(on connection: HiredisConnection, operation: String) async throws {
        let wait = waitCommand
        guard !wait.isEmpty else { return }
        let reply = try await connection.exchange({ out in out.append(encoded: wait, commands: 1) }) { parser, _ in parser.reply() }
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
