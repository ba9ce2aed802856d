import TokenStoreKit

extension SQLiteTokenStore {
    @discardableResult
    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try schemaGate.check(store: displayName, operation: "saveAccessToken")
        return try await pool.run("saveAccessToken", access: .write, inline: inlineWrites, SaveAccessToken(token: token, policy: policy))
    }

    public func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        try schemaGate.check(store: displayName, operation: "accessToken")
        return try await pool.run("accessToken", access: .read, inline: true, GetAccessToken(key: key))
    }

    @discardableResult
    public func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        try schemaGate.check(store: displayName, operation: "deleteAccessToken")
        return try await deleteKeyed("deleteAccessToken", .deleteAccessToken, key: key)
    }

    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try schemaGate.check(store: displayName, operation: "listAccessTokens")
        guard limit >= 1 else { throw invalidLimit(limit, operation: "listAccessTokens") }
        let tokens = try await listKeyed(
            "listAccessTokens", first: .listAccessTokensFirst, after: .listAccessTokensAfter, cursor: cursor, limit: limit
        ) { connection, statement in try connection.accessToken(statement) }
        return AccessTokenPage(tokens: tokens, nextCursor: tokens.count == limit ? tokens.last?.key : nil)
    }
}

// The hot calls as structs rather than closures: the fast path passes them by value and
// allocates no closure context (see `SQLiteConnectionPool.run(_:inline:_:)`).

/// `accessToken(for:)`.
struct GetAccessToken: SQLiteOperation {
    let key: AccessTokenKey

    func run(on connection: SQLiteConnection) throws -> AccessToken? {
        let statement = try connection.statement(.getAccessToken)
        var provider = key.provider
        var userID = key.userID
        // The key's bytes are bound borrowed: they stay valid inside these closures, and
        // `finish` clears the bindings before the closures return.
        return try provider.withUTF8 { provider in
            try userID.withUTF8 { userID in
                defer { connection.finish(statement) }
                try connection.bindBorrowed(statement, 1, provider)
                try connection.bindBorrowed(statement, 2, userID)
                guard try connection.step(statement) else { return nil }
                return try connection.accessToken(statement, key: key)
            }
        }
    }
}

/// `saveAccessToken(_:policy:)`.
struct SaveAccessToken: SQLiteOperation {
    let token: AccessToken
    let policy: WritePolicy

    func run(on connection: SQLiteConnection) throws -> Bool {
        let statement = try connection.statement(policy == .overwrite ? .saveAccessTokenOverwrite : .saveAccessTokenIfNewer)
        defer { connection.finish(statement) }
        try connection.bindAccessTokenBorrowed(statement, token)
        while try connection.step(statement) {}
        return connection.changes > 0
    }
}
