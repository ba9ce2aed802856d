import Foundation
import TokenStoreKit

extension RedisTokenStore {
    /// Sends the commands `build` writes and returns one reply per command, in one round
    /// trip, batched with concurrent calls (see ``RedisBatcher``).
    func roundTrip(_ operation: String, _ build: (inout RESPWriter) -> Void) async throws -> [RedisReply] {
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
            return try await lead(operation, bytes: bytes, commands: commands)
        }
    }

    /// One command, one reply, batched like ``roundTrip(_:_:)``.
    func roundTripCommand(_ operation: String, _ build: (inout RESPWriter) -> Void) async throws -> RedisReply {
        let replies = try await roundTrip(operation, build)
        guard let reply = replies.first else { throw unexpected(operation, .null) }
        return reply
    }

    private func lead(_ operation: String, bytes: [UInt8], commands: Int) async throws -> [RedisReply] {
        defer { batcher.finishLeading() }
        let followers = batcher.takeFollowers()
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
