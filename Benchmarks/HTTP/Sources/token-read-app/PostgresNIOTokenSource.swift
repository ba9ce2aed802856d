import Foundation
import Logging
import PostgresNIO
import TokenStoreKit

/// The same read through postgres-nio, what an app would write without tokenstore: a
/// `PostgresClient` (its own connection pool, run as a service beside the HTTP server)
/// selecting the row from the table the PostgreSQL driver created.
struct PostgresNIOTokenSource: TokenSource {
    let client: PostgresClient
    /// `"schema".access_tokens`, quoted.
    let table: String
    let label: String

    /// A client for a `postgres://user:password@host:port/dbname` URL. `schema` and
    /// `pool_max` are read as the PostgreSQL driver reads them (defaults `tokenstore` and
    /// 8, the driver's), other query parameters are ignored. Plain TCP, no TLS: the
    /// benchmark's servers are on loopback.
    init(url: String, logger: Logger) throws {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty, let user = components.user
        else {
            throw BenchError("--postgres-nio expects postgres://user:password@host:port/dbname")
        }
        let query = components.queryItems ?? []
        func parameter(_ name: String) -> String? { query.first { $0.name == name }?.value }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: String(components.path.drop { $0 == "/" }).nonEmpty, tls: .disable)
        if let text = parameter("pool_max") {
            guard let count = Int(text), (1...10_000).contains(count) else {
                throw BenchError("pool_max must be a whole number from 1 to 10000, not \(text)")
            }
            configuration.options.maximumConnections = count
        } else {
            configuration.options.maximumConnections = 8
        }
        let schema = parameter("schema") ?? "tokenstore"
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        table = "\"" + schema.replacingOccurrences(of: "\"", with: "\"\"") + "\".access_tokens"
        label = "postgres-nio \(host):\(components.port ?? 5432) pool \(configuration.options.maximumConnections)"
    }

    func accessToken(userID: String) async throws -> AccessToken? {
        let rows = try await client.query(
            """
            SELECT token, secret, screen_name, access_type, metadata::text, created_at, updated_at
            FROM \(unescaped: table) WHERE provider = \(BenchUsers.provider) AND user_id = \(userID)
            """)
        // Read to the end (at most one row: the key is the primary key) rather than
        // returning from inside the loop, so the connection goes back to the pool when the
        // server has finished the query, not when the abandoned sequence is cleaned up.
        var found: AccessToken?
        for try await (token, secret, screenName, accessType, metadata, createdAt, updatedAt) in rows.decode(
            (String, String, String?, String?, String, Int64, Int64).self)
        {
            found = try StoredRow.accessToken(
                userID: userID, token: token, secret: secret, screenName: screenName, accessType: accessType,
                metadata: metadata, createdAt: createdAt, updatedAt: updatedAt)
        }
        return found
    }

    /// Nothing to do: the client's connections close when its `run()` service ends.
    func close() async throws {}
}

extension String {
    /// `nil` for the empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
