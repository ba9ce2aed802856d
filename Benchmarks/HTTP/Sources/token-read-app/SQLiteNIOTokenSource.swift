import Foundation
import Logging
import SQLiteNIO
import Synchronization
import TokenStoreKit

/// The same read through sqlite-nio, what an app would write without tokenstore: a few
/// connections to the SQLite driver's file (sqlite-nio runs each call on NIO's thread
/// pool), taken in turn, each query prepared, run and decoded.
final class SQLiteNIOTokenSource: TokenSource {
    private let connections: [SQLiteConnection]
    private let next = Atomic<Int>(0)
    let label: String

    private static let select = "SELECT \(StoredRow.columns) FROM access_tokens WHERE provider = ?1 AND user_id = ?2"

    private init(connections: [SQLiteConnection], label: String) {
        self.connections = connections
        self.label = label
    }

    /// Opens `count` connections to `path` (4 by default: the SQLite driver's pool_max).
    static func open(path: String, count: Int, logger: Logger) async throws -> SQLiteNIOTokenSource {
        var connections: [SQLiteConnection] = []
        do {
            for _ in 0..<count {
                connections.append(try await SQLiteConnection.open(storage: .file(path: path), logger: logger))
            }
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
        return SQLiteNIOTokenSource(connections: connections, label: "sqlite-nio \(path), \(count) connections")
    }

    func accessToken(userID: String) async throws -> AccessToken? {
        let turn = next.wrappingAdd(1, ordering: .relaxed).oldValue
        // `open` makes at least one connection, so the divisor is never zero.
        let connection = connections[Int(turn.magnitude % UInt(connections.count))]
        let rows = try await connection.query(Self.select, [.text(BenchUsers.provider), .text(userID)])
        guard let row = rows.first else { return nil }
        func text(_ name: String) throws -> String {
            guard let value = row.column(name)?.string else { throw BenchError("access_tokens.\(name) of \(userID) is not text") }
            return value
        }
        func integer(_ name: String) throws -> Int64 {
            guard let value = row.column(name)?.integer else { throw BenchError("access_tokens.\(name) of \(userID) is not an integer") }
            return Int64(value)
        }
        return try StoredRow.accessToken(
            userID: userID, token: try text("token"), secret: try text("secret"),
            screenName: row.column("screen_name")?.string, accessType: row.column("access_type")?.string,
            metadata: row.column("metadata")?.string, createdAt: try integer("created_at"),
            updatedAt: try integer("updated_at"))
    }

    func close() async throws {
        for connection in connections { try await connection.close() }
    }
}
