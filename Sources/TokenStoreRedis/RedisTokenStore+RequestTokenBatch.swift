import TokenStoreKit

extension RedisTokenStore {
    /// Request tokens per `MULTI`/`EXEC` transaction of a batch (three commands each).
    static let requestBatchChunk = 500

    /// Saves the batch in one pipelined round trip per 500 tokens, each chunk one
    /// `MULTI`/`EXEC`: `SET ... PX` (each token keeps its own expiry, relative to the
    /// store's clock) and both index entries, as ``saveRequestToken(_:)`` does one by one.
    /// A token already expired gets the shortest expiry (1 ms) and is never returned.
    ///
    /// - Returns: how many were written (every token).
    @discardableResult
    public func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int {
        let operation = "saveRequestTokens"
        let keys = self.keys
        var start = 0
        while start < tokens.count {
            let chunk = tokens[start..<min(start + Self.requestBatchChunk, tokens.count)]
            start += chunk.count
            let now = nowMilliseconds()
            let replies = try await roundTrip(operation) { out in
                out.command(1)
                out.argument("MULTI")
                for token in chunk {
                    let expires = TokenTimestamp.milliseconds(token.expiresAt)
                    Self.appendSave(
                        token, record: RedisRecordCodec.encode(token), expires: expires,
                        timeToLive: max(1, expires - now), keys: keys, to: &out)
                }
                out.command(1)
                out.argument("EXEC")
            }
            try checkTransaction(replies, operation: operation, record: nil)
        }
        return tokens.count
    }
}
