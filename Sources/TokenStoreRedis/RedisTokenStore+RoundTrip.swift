import Foundation
import TokenStoreKit

extension RedisTokenStore {
    /// Sends the commands `build` writes and returns one reply per command, in one round
    /// trip, batched with concurrent calls (see ``RedisBatcher``).
    func roundTrip(_ operation: String, _ build: (inout RESPWriter) -> Void) async throws -> [RedisReply] {
        if batcher.tryLead() {
            let followers = batcher.takeFollowers()
            if followers.isEmpty {
                // Alone: encode straight into the connection's buffer.
                defer { batcher.finishLeading() }
                return try await withConnection(operation) { connection in try await connection.pipeline(build) }
            }
            var writer = RESPWriter()
            build(&writer)
            return try await lead(operation, bytes: writer.bytes, commands: writer.commandCount, followers: followers)
        }
        var writer = RESPWriter()
        build(&writer)
        let bytes = writer.bytes
        let commands = writer.commandCount
        switch await batcher.turn(bytes: bytes, commands: commands) {
        case .done(let result):
            do {
                return try result.get()
            } catch var error as TokenStoreError {
                error.operation = operation
                throw error
            }
        case .lead:
            return try await lead(operation, bytes: bytes, commands: commands, followers: batcher.takeFollowers())
        }
    }

    /// One command, one reply, batched like ``roundTrip(_:_:)``.
    func roundTripCommand(_ operation: String, _ build: (inout RESPWriter) -> Void) async throws -> RedisReply {
        let replies = try await roundTrip(operation, build)
        guard let reply = replies.first else { throw unexpected(operation, .null) }
        return reply
    }

    /// Runs this call's request and the `followers'` in one pipeline, then hands each
    /// follower its replies. Ends the leader turn.
    private func lead(
        _ operation: String, bytes: [UInt8], commands: Int, followers: [RedisBatcher.Waiter]
    ) async throws -> [RedisReply] {
        defer { batcher.finishLeading() }
        var requests = [(bytes: bytes, commands: commands)]
        requests.reserveCapacity(followers.count + 1)
        for follower in followers { requests.append((follower.bytes, follower.commands)) }
        let replies: [RedisReply]
        if followers.isEmpty {
            replies = try await withConnection(operation) { connection in
                try await connection.pipeline(encoded: requests)
            }
        } else {
            // Others' requests ride along: run the I/O in a task of its own so this call's
            // cancellation cannot abandon them half-way (they already paid a hop to wait).
            let io = Task {
                try await self.withConnection(operation) { connection in
                    try await connection.pipeline(encoded: requests)
                }
            }
            do {
                replies = try await io.value
            } catch {
                for follower in followers { follower.continuation.resume(returning: .done(.failure(error))) }
                throw error
            }
        }
        var offset = commands
        for follower in followers {
            let slice = Array(replies[offset..<(offset + follower.commands)])
            offset += follower.commands
            follower.continuation.resume(returning: .done(.success(slice)))
        }
        return Array(replies[0..<commands])
    }
}
