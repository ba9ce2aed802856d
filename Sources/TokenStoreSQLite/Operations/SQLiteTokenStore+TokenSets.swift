import TokenStoreKit

// OAuth 2.0 token sets: upsert, get, delete and list like access tokens, in their own
// table; the compare-and-set and the refresh lease are each one UPDATE, so SQLite's write
// lock makes them atomic across connections and processes.
extension SQLiteTokenStore {
    @discardableResult
    public func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool {
        try schemaGate.check(store: displayName, operation: "saveTokenSet")
        return try await pool.run("saveTokenSet", access: .write, inline: inlineWrites, SaveTokenSet(tokenSet: tokenSet, policy: policy))
    }

    public func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? {
        try schemaGate.check(store: displayName, operation: "tokenSet")
        return try await pool.run("tokenSet", access: .read, inline: true, GetTokenSet(key: key))
    }

    /// Deletes the row, and with it any refresh lease (the lease lives in the row).
    @discardableResult
    public func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool {
        try schemaGate.check(store: displayName, operation: "deleteTokenSet")
        return try await deleteKeyed("deleteTokenSet", .deleteTokenSet, key: key)
    }

    public func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage {
        try schemaGate.check(store: displayName, operation: "listTokenSets")
        guard limit >= 1 else { throw invalidLimit(limit, operation: "listTokenSets") }
        let tokenSets = try await listKeyed(
            "listTokenSets", first: .listTokenSetsFirst, after: .listTokenSetsAfter, cursor: cursor, limit: limit
        ) { connection, statement in try connection.tokenSet(statement) }
        return OAuth2TokenSetPage(tokenSets: tokenSets, nextCursor: tokenSets.count == limit ? tokenSets.last?.key : nil)
    }

    /// One `UPDATE ... WHERE version = ? RETURNING`: of any number of writers that read the
    /// same version, in any process, exactly one changes the row.
    public func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? {
        try schemaGate.check(store: displayName, operation: "replaceTokenSet")
        return try await pool.run(
            "replaceTokenSet", access: .write, inline: inlineWrites, ReplaceTokenSet(tokenSet: tokenSet, expected: expected))
    }

    /// One conditional `UPDATE`; the lease's expiry is judged by the store's clock, passed
    /// in as request-token expiry is, so every process compares against the same kind of
    /// value and a test's manual clock governs it.
    public func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool {
        try schemaGate.check(store: displayName, operation: "acquireRefreshLease")
        let milliseconds = try RefreshLeaseDuration.milliseconds(duration, store: displayName, operation: "acquireRefreshLease")
        let now = nowMilliseconds
        // `now` is within TokenTimestamp.range and a lease at most an hour: no overflow.
        let expiresAt = now + milliseconds
        return try await pool.run("acquireRefreshLease", access: .write, inline: inlineWrites) { connection in
            let statement = try connection.statement(.acquireRefreshLease)
            defer { connection.finish(statement) }
            try connection.bind(statement, 1, key.provider)
            try connection.bind(statement, 2, key.userID)
            try connection.bind(statement, 3, owner)
            connection.bind(statement, 4, expiresAt)
            connection.bind(statement, 5, now)
            while try connection.step(statement) {}
            return connection.changes > 0
        }
    }

    /// Compare-and-delete in one `UPDATE`: clears the lease only while `owner` holds it.
    @discardableResult
    public func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool {
        try schemaGate.check(store: displayName, operation: "releaseRefreshLease")
        return try await pool.run("releaseRefreshLease", access: .write, inline: inlineWrites) { connection in
            let statement = try connection.statement(.releaseRefreshLease)
            defer { connection.finish(statement) }
            try connection.bind(statement, 1, key.provider)
            try connection.bind(statement, 2, key.userID)
            try connection.bind(statement, 3, owner)
            while try connection.step(statement) {}
            return connection.changes > 0
        }
    }
}

// The hot calls as structs, like the access tokens' (see `GetAccessToken`).

/// `tokenSet(for:)`.
struct GetTokenSet: SQLiteOperation {
    let key: AccessTokenKey

    func run(on connection: SQLiteConnection) throws -> OAuth2TokenSet? {
        let statement = try connection.statement(.getTokenSet)
        var provider = key.provider
        var userID = key.userID
        // Bound borrowed, like the key in `GetAccessToken`.
        return try provider.withUTF8 { provider in
            try userID.withUTF8 { userID in
                defer { connection.finish(statement) }
                try connection.bindBorrowed(statement, 1, provider)
                try connection.bindBorrowed(statement, 2, userID)
                guard try connection.step(statement) else { return nil }
                return try connection.tokenSet(statement, key: key)
            }
        }
    }
}

/// `saveTokenSet(_:policy:)`.
struct SaveTokenSet: SQLiteOperation {
    let tokenSet: OAuth2TokenSet
    let policy: WritePolicy

    func run(on connection: SQLiteConnection) throws -> Bool {
        let statement = try connection.statement(policy == .overwrite ? .saveTokenSetOverwrite : .saveTokenSetIfNewer)
        defer { connection.finish(statement) }
        try connection.bindTokenSetBorrowed(statement, tokenSet)
        while try connection.step(statement) {}
        return connection.changes > 0
    }
}

/// `replaceTokenSet(_:ifVersion:)`: the row as written comes back from `RETURNING`.
struct ReplaceTokenSet: SQLiteOperation {
    let tokenSet: OAuth2TokenSet
    let expected: Int64

    func run(on connection: SQLiteConnection) throws -> OAuth2TokenSet? {
        let statement = try connection.statement(.replaceTokenSet)
        defer { connection.finish(statement) }
        try connection.bindTokenSetBorrowed(statement, tokenSet)
        connection.bind(statement, 14, expected)
        guard try connection.step(statement) else { return nil }
        let stored = Result { () throws(SQLiteCorruptRow) in try connection.tokenSet(statement, key: tokenSet.key) }
        // Step to the end so the update completes before the statement is reset.
        while try connection.step(statement) {}
        return try stored.get()
    }
}
