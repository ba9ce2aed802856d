import Foundation
import TokenStoreIO
import TokenStoreKit

extension RedisTokenStore {
    /// Sends the commands `build` writes and returns one reply per command, in one round
    /// trip, batched with concurrent calls (see `CallCoalescer`). Every key the commands
    /// name hashes to `slot` (see ``RedisSlot``): in a cluster, the call goes to the
    /// primary serving it. `writes`: the commands change data, so they wait for replicas
    /// when the store is configured to (see ``roundTrip(_:slot:writes:_:decode:)``).
    func roundTrip(
        _ operation: String, slot: UInt16, writes: Bool = false, _ build: (inout RESPWriter) -> Void
    ) async throws -> [RedisReply] {
        try await roundTrip(operation, slot: slot, writes: writes, build) { parser, count in parser.replies(count) }
    }

    /// One command, one reply, batched like ``roundTrip(_:slot:writes:_:)``.
    func roundTripCommand(
        _ operation: String, slot: UInt16, writes: Bool = false, _ build: (inout RESPWriter) -> Void
    ) async throws -> RedisReply {
        try await roundTrip(operation, slot: slot, writes: writes, build) { parser, _ in parser.reply() }
    }

    /// Sends the commands `build` writes, in one round trip batched with concurrent calls,
    /// and returns what `decode` reads from their replies in place (see `CallCoalescer`).
    /// Every key the commands name hashes to `slot`. In a cluster `build` may run more
    /// than once (to follow a redirect), so it writes the same commands each time.
    ///
    /// With `writes` and ``Configuration/waitReplicas`` above 0, `WAIT` follows the
    /// commands on the same connection, so it covers them even inside a pipeline of
    /// concurrent calls, and its reply is checked before the value is returned (see
    /// ``waitingRoundTrip(_:slot:_:decode:)``).
    func roundTrip<Value: Sendable>(
        _ operation: String, slot: UInt16, writes: Bool = false, _ build: (inout RESPWriter) -> Void,
        decode: @escaping ReplyDecoder<Value>
    ) async throws -> Value {
        if writes, configuration.waitReplicas > 0 { return try await waitingRoundTrip(operation, slot: slot, build, decode: decode) }
        return try await sendRoundTrip(operation, slot: slot, build, decode: decode)
    }

    /// ``roundTrip(_:slot:writes:_:decode:)`` once the replica wait is settled: to the
    /// cluster node serving `slot`, or to the one server. `waitBytes`: as in
    /// ``roundTrip(on:_:waitBytes:_:decode:)``.
    @inline(__always)
    func sendRoundTrip<Value: Sendable>(
        _ operation: String, slot: UInt16, waitBytes: Int = 0, _ build: (inout RESPWriter) -> Void,
        decode: @escaping ReplyDecoder<Value>
    ) async throws -> Value {
        guard let router else { return try await roundTrip(on: home, operation, waitBytes: waitBytes, build, decode: decode) }
        return try await routedRoundTrip(router, operation, slot: slot, waitBytes: waitBytes, build, decode: decode)
    }

    /// ``roundTrip(_:slot:_:decode:)`` on `node`, batched with the concurrent calls to it.
    /// `waitBytes`: the bytes of the store's `WAIT` (``waitCommand``) that end what `build`
    /// writes, 0 when it writes none.
    /// Inlined: a single server's calls take no async frame more than before the router.
    @inline(__always)
    func roundTrip<Value: Sendable>(
        on node: RedisNode, _ operation: String, waitBytes: Int = 0, _ build: (inout RESPWriter) -> Void,
        decode: @escaping ReplyDecoder<Value>
    ) async throws -> Value {
        let coalescer = node.coalescer
        if coalescer.tryLead() {
            let followers = await coalescer.gatherFollowers()
            if followers.isEmpty {
                // Alone: encode straight into the connection's buffer.
                defer { coalescer.finishLeading() }
                return try await withConnection(on: node, operation) { connection in
                    try await connection.exchange(build) { parser, count in parser.decode(count, with: decode) }
                }
            }
            var writer = RESPWriter()
            build(&writer)
            return try await lead(
                on: node, operation, request: writer.bytes, commands: writer.commandCount, waitBytes: waitBytes, decode: decode,
                followers: followers)
        }
        var writer = RESPWriter(capacity: 256)
        build(&writer)
        let call = QueuedCall(request: writer.bytes, commands: writer.commandCount, waitBytes: waitBytes, decode: decode)
        // Cancelled while queued: `CancellationError`, as a cancelled exchange throws.
        switch try await coalescer.follow(call) {
        case .done(let outcome):
            do {
                try outcome.get()
                guard let value = call.value else { throw unexpected(operation, .null) }
                return value
            } catch var error as TokenStoreError {
                error.operation = operation
                throw error
            }
        case .lead:
            return try await lead(
                on: node, operation, request: call.request, commands: call.commands, waitBytes: call.waitBytes, decode: decode,
                followers: coalescer.takeFollowers())
        }
    }

    /// Runs this call's request and the `followers'` in one pipeline, decodes this call's
    /// replies and has each follower decode its own. Ends the leader turn.
    private func lead<Value: Sendable>(
        on node: RedisNode, _ operation: String, request: [UInt8], commands: Int, waitBytes: Int,
        decode: @escaping ReplyDecoder<Value>, followers: [RedisCoalescer.Follower]
    ) async throws -> Value {
        let coalescer = node.coalescer
        defer { coalescer.finishLeading() }
        if followers.isEmpty {
            return try await withConnection(on: node, operation) { connection in
                try await connection.exchange({ out in out.append(encoded: request, commands: commands) }) { parser, _ in
                    parser.decode(commands, with: decode)
                }
            }
        }
        if !waitCommand.isEmpty, Self.waitingCalls(waitBytes, followers) >= 2 {
            return try await leadSharingWait(
                on: node, operation, request: request, commands: commands, waitBytes: waitBytes, decode: decode, followers: followers)
        }
        // Others' requests ride along: once sent, the exchange ignores this call's
        // cancellation (its deadline still holds), so it cannot abandon them half-way.
        var sent = false
        do {
            return try await withConnection(on: node, operation) { connection in
                sent = true
                return try await connection.exchange(cancellable: false, { out in
                    out.append(encoded: request, commands: commands)
                    for follower in followers { out.append(encoded: follower.job.request, commands: follower.job.commands) }
                }) { parser, _ in
                    let value = parser.decode(commands, with: decode)
                    for follower in followers {
                        follower.job.decodeReplies(&parser)
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
}
