import TokenStoreKit

// Hooks for this package's tests (package access: invisible to users of the product).
extension RedisTokenStore {
    /// Sends one command with the store's pool and returns the raw reply.
    package func rawCommand(_ arguments: [String]) async throws -> RedisReply {
        try await withConnection("rawCommand") { connection in
            try await connection.command { out in
                out.command(arguments.count)
                for argument in arguments { out.argument(argument) }
            }
        }
    }

    /// Keeps one pooled connection lent out while `body` runs.
    package func holdingConnection<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await withConnection("holdingConnection") { _ in try await body() }
    }

    /// Sends one command of raw byte arguments (keys that are not UTF-8: a provider's NUL
    /// is written as NUL 0xFF) with the store's pool and returns the reply.
    package func rawCommand(bytes arguments: [[UInt8]]) async throws -> RedisReply {
        try await withConnection("rawCommand") { connection in
            try await connection.command { out in
                out.command(arguments.count)
                for argument in arguments { out.argument(argument) }
            }
        }
    }
}
