import TokenStoreKit

extension SQLiteTokenStore {
    public func saveRequestToken(_ token: RequestToken) async throws {
        try schemaGate.check(store: displayName, operation: "saveRequestToken")
        try await pool.run("saveRequestToken", access: .write, inline: inlineWrites, SaveRequestToken(token: token))
    }

    public func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        try schemaGate.check(store: displayName, operation: "takeRequestToken")
        let now = nowMilliseconds
        return try await pool.run(
            "takeRequestToken", access: .write, inline: inlineWrites, TakeRequestToken(oauthToken: oauthToken, nowMilliseconds: now))
    }

    public func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try schemaGate.check(store: displayName, operation: "listRequestTokens")
        guard limit >= 1 else { throw invalidLimit(limit, operation: "listRequestTokens") }
        let now = nowMilliseconds
        return try await pool.run("listRequestTokens", access: .read, inline: limit <= Self.inlineRowLimit) { connection in
            let statement = try connection.statement(cursor == nil ? .listRequestTokensFirst : .listRequestTokensAfter)
            defer { connection.finish(statement) }
            if let cursor { try connection.bind(statement, 1, cursor) }
            connection.bind(statement, 2, now)
            connection.bind(statement, 3, Int64(limit))
            var tokens: [RequestToken] = []
            while try connection.step(statement) {
                tokens.append(try connection.requestToken(statement))
            }
            return RequestTokenPage(tokens: tokens, nextCursor: tokens.count == limit ? tokens.last?.token : nil)
        }
    }
}

// The hot calls as structs rather than closures: the fast path passes them by value and
// allocates no closure context (see `SQLiteConnectionPool.run(_:inline:_:)`).

/// `saveRequestToken(_:)`.
struct SaveRequestToken: SQLiteOperation {
    let token: RequestToken

    func run(on connection: SQLiteConnection) throws {
        let statement = try connection.statement(.saveRequestToken)
        defer { connection.finish(statement) }
        try connection.bindRequestToken(statement, token)
        while try connection.step(statement) {}
    }
}

/// `takeRequestToken(_:)`: one `DELETE ... RETURNING`, atomic across connections and
/// processes (the row is deleted by whichever statement gets the write lock first).
struct TakeRequestToken: SQLiteOperation {
    let oauthToken: String
    let nowMilliseconds: Int64

    func run(on connection: SQLiteConnection) throws -> RequestToken? {
        let statement = try connection.statement(.takeRequestToken)
        var oauthToken = oauthToken
        // Bound borrowed, like the key in `GetAccessToken`.
        return try oauthToken.withUTF8 { oauthToken in
            defer { connection.finish(statement) }
            try connection.bindBorrowed(statement, 1, oauthToken)
            connection.bind(statement, 2, nowMilliseconds)
            guard try connection.step(statement) else { return nil }
            let token = Result { () throws(SQLiteCorruptRow) in try connection.requestToken(statement) }
            // Step to the end so the delete completes before the statement is reset; a
            // corrupt row is still removed (it could never be taken otherwise).
            while try connection.step(statement) {}
            return try token.get()
        }
    }
}
