import TokenStoreKit

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
