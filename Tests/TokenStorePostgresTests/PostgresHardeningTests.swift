import Foundation
import Testing
import TokenStoreKit

@testable import TokenStorePostgres

/// Reading a failed connection's verbose libpq message (no server needed).
@Suite("PostgreSQL connect failures", .timeLimit(.minutes(1)))
struct PostgresConnectFailureTests {
    @Test("the server's SQLSTATE is taken out of a verbose message, with the location line")
    func sqlStateFromVerboseMessage() {
        let failure = LibPQConnectFailure.failure(
            verboseMessage: """
                connection to server at "127.0.0.1", port 5432 failed: FATAL:  28P01: password authentication failed for user "x"
                LOCATION:  auth_failed, auth.c:334

                """)
        #expect(failure.sqlState == "28P01")
        #expect(failure.message == #"connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "x""#)
    }

    @Test("a client-side failure has no SQLSTATE and keeps its text")
    func clientSideFailure() {
        let text = #"connection to server at "127.0.0.1", port 1 failed: Connection refused"#
        let failure = LibPQConnectFailure.failure(verboseMessage: text + "\n")
        #expect(failure.sqlState == nil)
        #expect(failure.message == text)
    }

    @Test("a refused login maps to authenticationFailed by SQLSTATE, whatever the language of the text")
    func mappedBySQLState() {
        for state in ["28000", "28P01"] {
            let failure = LibPQFailure(kind: .connection, sqlState: state, message: "FATAL:  la connexion a échoué")
            #expect(PostgresErrorMapping.error(for: failure, store: "s", operation: "open").code == .authenticationFailed)
        }
        let database = LibPQFailure(kind: .connection, sqlState: "3D000", message: "FATAL:  base inconnue")
        #expect(PostgresErrorMapping.error(for: database, store: "s", operation: "open").code == .misconfigured)
    }

    @Test("UTF8's spellings are accepted, other client encodings found in URLs and keyword strings")
    func clientEncodingNames() {
        for name in ["UTF8", "utf-8", "Unicode", "utf_8"] { #expect(PostgresClientEncoding.isUTF8(name)) }
        for name in ["LATIN1", "SQL_ASCII", "auto", "WIN1252", ""] { #expect(!PostgresClientEncoding.isUTF8(name)) }
        #expect(PostgresClientEncoding.foreignEncoding(in: [("dbname", "postgres://u@h/db?client_encoding=LATIN1")]) == "LATIN1")
        #expect(PostgresClientEncoding.foreignEncoding(in: [("dbname", "host=h client_encoding='WIN1252'")]) == "WIN1252")
        #expect(PostgresClientEncoding.foreignEncoding(in: [("dbname", "postgres://u@h/db?client_encoding=UTF-8")]) == nil)
        #expect(PostgresClientEncoding.foreignEncoding(in: [("host", "h"), ("client_encoding", "latin1")]) == "latin1")
        #expect(PostgresClientEncoding.foreignEncoding(in: [("dbname", "app")]) == nil)
    }

    @Test("a result column of another type is reported with its name, expected and found types")
    func shapeMismatch() throws {
        let types: [UInt32] = [25, 25, 25, 17, 25, 1043, 25, 20, 23]
        let mismatch = try #require(PostgresResultShape.accessToken.mismatch(columnCount: types.count) { types[$0] })
        #expect(mismatch == .init(column: "secret", expected: "text", found: 17))
        #expect(mismatch.message.contains("bytea"))
        let fine: [UInt32] = [25, 25, 25, 25, 25, 25, 25, 20, 20]
        #expect(PostgresResultShape.accessToken.mismatch(columnCount: fine.count) { fine[$0] } == nil)
        let short = PostgresResultShape.requestToken.mismatch(columnCount: 8) { $0 < 7 ? 25 : 20 }
        #expect(short == .init(column: "expires_at", expected: "bigint", found: nil))
    }
}

extension PostgresServerTests {
    @Suite("PostgreSQL hardening", .timeLimit(.minutes(3)))
    struct Hardening {
        @Test("client_encoding other than UTF8 in the URL is refused at open, naming the parameter")
        func foreignClientEncodingRefused() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&client_encoding=LATIN1")
            let error = try #require(await storeError { _ = try await PostgresTokenStore(url: url) })
            #expect(error.code == .misconfigured)
            #expect(error.message.contains("client_encoding=LATIN1"))
            let direct = PostgresTokenStore.Configuration(connectionParameters: [
                ("dbname", try PostgresTestServer.requireURL()), ("client_encoding", "WIN1252"),
            ])
            let directError = try #require(await storeError { _ = try await PostgresTokenStore(configuration: direct) })
            #expect(directError.code == .misconfigured)
        }

        @Test("client_encoding=UTF8 in the URL is accepted")
        func utf8ClientEncodingAccepted() async throws {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema(extra: "&client_encoding=UTF-8"))
            #expect(try await store.schemaVersion() == 2)
            try await store.close()
        }

        @Test("options=-c client_encoding=LATIN1 is overridden: text is stored as UTF8, read back the same by any client")
        func clientEncodingInOptionsOverridden() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            let latin = try await PostgresTokenStore(url: url + "&options=-c%20client_encoding%3DLATIN1")
            let plain = try await PostgresTokenStore(url: url)
            let token = AccessToken(
                provider: "prövider", userID: "üser", token: "tøken", secret: "sécret", screenName: "Zoë",
                createdAt: Date(timeIntervalSince1970: 1_700_000_000), metadata: ["clé": "välue"])
            try await latin.saveAccessToken(token, policy: .overwrite)
            #expect(try await plain.accessToken(for: token.key) == token)
            _ = try await latin.saveAccessTokens([token], policy: .overwrite)
            #expect(try await plain.accessToken(for: token.key) == token)
            let bytes = try await plain.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(
                    sql: "SELECT octet_length(secret) FROM \(PostgresStatements.quote(plain.configuration.schema)).access_tokens",
                    deadline: deadline)
            }
            #expect(bytes.first?.first == String(token.secret.utf8.count))
            try await latin.close()
            try await plain.close()
        }

        @Test("an access token column altered to bytea: corruptedRecord naming the column, on new and old connections")
        func accessColumnTypeChanged() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=1")
            let before = try await PostgresTokenStore(url: url)
            let token = AccessToken(provider: "p", userID: "u", token: "t", secret: "the-secret", createdAt: Date(timeIntervalSince1970: 1_700_000_000))
            try await before.saveAccessToken(token, policy: .overwrite)
            #expect(try await before.accessToken(for: token.key) == token)
            try await alter(before, "ALTER TABLE %@.access_tokens ALTER COLUMN secret TYPE bytea USING convert_to(secret, 'UTF8')")

            let after = try await PostgresTokenStore(url: url)
            let error = try #require(await storeError { _ = try await after.accessToken(for: token.key) })
            #expect(error.code == .corruptedRecord)
            #expect(error.message.contains("secret") && error.message.contains("bytea"))
            #expect(error.record?.contains("u") == true)
            #expect(!error.description.contains("the-secret"))
            let listError = try #require(await storeError { _ = try await after.listAccessTokens(after: nil, limit: 10) })
            #expect(listError.code == .corruptedRecord)
            // A missing key has no row to misread.
            #expect(try await after.accessToken(for: AccessTokenKey(provider: "p", userID: "nobody")) == nil)

            // The connection that prepared its statements before the change.
            let staleError = try #require(await storeError { _ = try await before.accessToken(for: token.key) })
            #expect(staleError.code == .corruptedRecord)
            try await before.close()
            try await after.close()
        }

        @Test("a request token secret altered to bytea: take and list give corruptedRecord naming the column")
        func requestColumnTypeChanged() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            let store = try await PostgresTokenStore(url: url)
            try await alter(store, "ALTER TABLE %@.request_tokens ALTER COLUMN secret TYPE bytea USING convert_to(secret, 'UTF8')")
            let fresh = try await PostgresTokenStore(url: url)
            let token = RequestToken(provider: "p", token: "rt", secret: "s", context: RequestTokenContext(), createdAt: Date())
            try await alter(fresh, "INSERT INTO %@.request_tokens (token, provider, secret, created_at, expires_at) "
                + "VALUES ('rt', 'p', 'the-secret', 0, 9000000000000)")
            let listError = try #require(await storeError { _ = try await fresh.listRequestTokens(after: nil, limit: 10) })
            #expect(listError.code == .corruptedRecord)
            #expect(listError.message.contains("secret") && listError.message.contains("bytea"))
            let takeError = try #require(await storeError { _ = try await fresh.takeRequestToken(token.token) })
            #expect(takeError.code == .corruptedRecord)
            #expect(takeError.record == "request token rt")
            #expect(!takeError.description.contains("the-secret"))
            try await store.close()
            try await fresh.close()
        }

        @Test("a token set column altered to bytea: get, list and compare-and-set give corruptedRecord naming the column")
        func tokenSetColumnTypeChanged() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            let store = try await PostgresTokenStore(url: url)
            let set = OAuth2TokenSet(provider: "p", userID: "u", accessToken: "the-access", refreshToken: "the-refresh", createdAt: Date())
            try await store.saveTokenSet(set)
            try await alter(store, "ALTER TABLE %@.token_sets ALTER COLUMN refresh_token TYPE bytea USING convert_to(refresh_token, 'UTF8')")
            let fresh = try await PostgresTokenStore(url: url)
            let getError = try #require(await storeError { _ = try await fresh.tokenSet(for: set.key) })
            #expect(getError.code == .corruptedRecord)
            #expect(getError.message.contains("refresh_token") && getError.message.contains("bytea"))
            #expect(getError.record == "token set p/u")
            #expect(!getError.description.contains("the-refresh") && !getError.description.contains("the-access"))
            let listError = try #require(await storeError { _ = try await fresh.listTokenSets(after: nil, limit: 10) })
            #expect(listError.code == .corruptedRecord)
            let replaceError = try #require(await storeError { _ = try await fresh.replaceTokenSet(set, ifVersion: 1) })
            #expect(replaceError.code == .corruptedRecord)
            #expect(try await fresh.tokenSet(for: AccessTokenKey(provider: "p", userID: "nobody")) == nil)
            try await store.close()
            try await fresh.close()
        }

        @Test("an unknown user over the unix socket (trust): authenticationFailed, not unavailable")
        func unknownUserOverSocket() async throws {
            var components = try #require(URLComponents(string: try PostgresTestServer.socketURL(schema: "tokenstore")))
            components.percentEncodedUser = "nosuchuser"
            components.password = nil
            let url = try #require(components.string)
            let error = try #require(await storeError { _ = try await PostgresTokenStore(url: url) })
            #expect(error.code == .authenticationFailed, "\(error)")
            #expect(error.message.contains("nosuchuser"))
        }

        @Test("an unknown user with a password over TCP: authenticationFailed")
        func unknownUserOverTCP() async throws {
            var components = try #require(URLComponents(string: try PostgresTestServer.requireURL()))
            components.user = "nosuchuser"
            components.password = "whatever-Q9"
            let url = try #require(components.string)
            let error = try #require(await storeError { _ = try await PostgresTokenStore(url: url) })
            #expect(error.code == .authenticationFailed, "\(error)")
            #expect(!error.description.contains("whatever-Q9"))
        }

        /// Runs `sql` with `%@` replaced by the store's quoted schema.
        private func alter(_ store: PostgresTokenStore, _ sql: String) async throws {
            let text = sql.replacingOccurrences(of: "%@", with: PostgresStatements.quote(store.configuration.schema))
            _ = try await store.withConnection("test", gated: false) { connection, deadline throws(LibPQFailure) in
                try await connection.execute(sql: text, deadline: deadline)
            }
        }
    }
}
