import Foundation
import TokenStoreKit

extension RedisTokenStore {
    /// Sends the commands `build` writes and returns one reply per command, in one round
    /// trip, batched with concurrent calls (see ``RedisBatcher``).
    func roundTrip(_ operation: String, _ build: (inout RESPWriter) -> Void) async throws -> [RedisReply] {
        try await roundTrip(operation, build) { parser, count in parser.replies(count) }
    }

    /// One command, one reply, batched like ``roundTrip(_:_:)``.
    func roundTripCommand(_ operation: String, _ build: (inout RESPWriter) -> Void) async throws -> RedisReply {
        try await roundTrip(operation, build) { parser, _ in parser.reply() }
    }

    /// Sends the commands `build` writes, in one round trip batched with concurrent calls,
    /// and returns what `decode` reads from their replies in place (see ``RedisBatcher``).
    func roundTrip<Value: Sendable>(
        _ operation: String, _ build: (inout RESPWriter) -> Void, decode: @escaping ReplyDecoder<Value>
    ) async throws -> Value {
        if batcher.tryLead() {
            let followers = batcher.takeFollowers()
            if followers.isEmpty {
                // Alone: encode straight into the connection's buffer.
                defer { batcher.finishLeading() }
                return try await withConnection(operation) { connection in
                    try await connection.exchange(build) { parser, count in parser.decode(count, with: decode) }
                }
            }
            var writer = RESPWriter()
            build(&writer)
            return try await lead(operation, request: writer.bytes, commands: writer.commandCount, decode: decode, followers: followers)
        }
        var writer = RESPWriter(capacity: 256)
        build(&writer)
        let call = QueuedCall(request: writer.bytes, commands: writer.commandCount, decode: decode)
        switch await batcher.turn(call) {
        case .done:
            do {
                guard let outcome = call.outcome else { throw unexpected(operation, .null) }
                return try outcome.get()
            } catch var error as TokenStoreError {
                error.operation = operation
                throw error
            }
        case .lead:
            return try await lead(
                operation, request: call.request, commands: call.commands, decode: decode, followers: batcher.takeFollowers())
        }
    }

    /// Runs this call's request and the `followers'` in one pipeline, decodes this call's
    /// replies and has each follower decode its own. Ends the leader turn.
    private func lead<Value: Sendable>(
        _ operation: String, request: [UInt8], commands: Int, decode: @escaping ReplyDecoder<Value>,
        followers: [any PipelinedCall]
    ) async throws -> Value {
        defer { batcher.finishLeading() }
        if followers.isEmpty {
            return try await withConnection(operation) { connection in
                try await connection.exchange({ out in out.append(encoded: request, commands: commands) }) { parser, _ in
                    parser.decode(commands, with: decode)
                }
            }
        }
        // Others' requests ride along: run the I/O in a task of its own so this call's
        // cancellation cannot abandon them half-way (they already paid a hop to wait).
        let io = Task {
            try await self.withConnection(operation) { connection in
                try await connection.exchange({ out in
                    out.append(encoded: request, commands: commands)
                    for follower in followers { out.append(encoded: follower.request, commands: follower.commands) }
                }) { parser, _ in
                    let value = parser.decode(commands, with: decode)
                    for follower in followers { follower.deliver(&parser) }
                    return value
                }
            }
        }
        do {
            return try await io.value
        } catch {
            // Followers already delivered ignore this (a call resumes once).
            for follower in followers { follower.fail(error) }
            throw error
        }
    }
}
