import TokenStoreKit

extension SQLiteTokenStore {
    /// Saves `tokens` in one transaction: all or none are written.
    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        try schemaGate.check(store: displayName, operation: "saveAccessTokens")
        guard !tokens.isEmpty else { return 0 }
        let inline = inlineWrites && tokens.count <= Self.inlineRowLimit
        return try await pool.run("saveAccessTokens", access: .write, inline: inline) { connection in
            try connection.run(.begin)
            do {
                let statement = try connection.statement(policy == .overwrite ? .saveAccessTokenOverwrite : .saveAccessTokenIfNewer)
                var written = 0
                for token in tokens {
                    defer { connection.finish(statement) }
                    try connection.bindAccessToken(statement, token)
                    while try connection.step(statement) {}
                    written += connection.changes
                }
                try connection.run(.commit)
                return written
            } catch {
                _ = try? connection.run(.rollback)
                throw error
            }
        }
    }

    /// Saves `tokenSets` in one transaction: all or none are written. Each is an upsert
    /// with the rules of ``saveTokenSet(_:policy:)``, so a key named twice ends as the later
    /// one, at version 2.
    @discardableResult
    public func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy) async throws -> Int {
        try schemaGate.check(store: displayName, operation: "saveTokenSets")
        guard !tokenSets.isEmpty else { return 0 }
        let inline = inlineWrites && tokenSets.count <= Self.inlineRowLimit
        return try await pool.run("saveTokenSets", access: .write, inline: inline) { connection in
            try connection.run(.begin)
            do {
                let statement = try connection.statement(policy == .overwrite ? .saveTokenSetOverwrite : .saveTokenSetIfNewer)
                var written = 0
                for tokenSet in tokenSets {
                    defer { connection.finish(statement) }
                    try connection.bindTokenSet(statement, tokenSet)
                    while try connection.step(statement) {}
                    written += connection.changes
                }
                try connection.run(.commit)
                return written
            } catch {
                _ = try? connection.run(.rollback)
                throw error
            }
        }
    }

    /// Saves `tokens` in one transaction with the prepared statement reused: all or none
    /// are written. A token named twice ends as the later one.
    ///
    /// - Returns: how many were written (every token: request tokens are always replaced).
    @discardableResult
    public func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int {
        try schemaGate.check(store: displayName, operation: "saveRequestTokens")
        guard !tokens.isEmpty else { return 0 }
        let inline = inlineWrites && tokens.count <= Self.inlineRowLimit
        return try await pool.run("saveRequestTokens", access: .write, inline: inline) { connection in
            try connection.run(.begin)
            do {
                let statement = try connection.statement(.saveRequestToken)
                for token in tokens {
                    defer { connection.finish(statement) }
                    try connection.bindRequestToken(statement, token)
                    while try connection.step(statement) {}
                }
                try connection.run(.commit)
                return tokens.count
            } catch {
                _ = try? connection.run(.rollback)
                throw error
            }
        }
    }
}
