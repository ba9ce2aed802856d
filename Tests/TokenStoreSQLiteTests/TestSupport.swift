import CTokenStoreSQLite
import Foundation
import Testing
import TokenStoreKit
@testable import TokenStoreSQLite

/// A fresh temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/tokenstore-sqlite-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanup() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A plain sqlite3 connection for arranging database states the store would never create.
final class RawSQLite {
    private var db: OpaquePointer?

    init(path: String) throws {
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        try #require(rc == SQLITE_OK, "sqlite3_open_v2 returned \(rc)")
        // A store closing on another thread may briefly hold the database's locks.
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close_v2(db) }

    func execute(_ sql: String) throws {
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        try #require(rc == SQLITE_OK, "\(sql): \(String(cString: sqlite3_errmsg(db)))")
    }

    /// The rows of `sql`, every column as text (NULL as "NULL").
    func rows(_ sql: String) throws -> [[String]] {
        var statement: OpaquePointer?
        try #require(sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK)
        defer { sqlite3_finalize(statement) }
        var rows: [[String]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            rows.append((0..<sqlite3_column_count(statement)).map { column in
                sqlite3_column_text(statement, column).map { String(cString: $0) } ?? "NULL"
            })
        }
        return rows
    }
}

func sampleAccessToken(provider: String = "twitter", userID: String, secret: String = "s3cret-\(UUID().uuidString)") -> AccessToken {
    AccessToken(
        provider: provider, userID: userID, token: "token-\(userID)", secret: secret, screenName: "user\(userID)",
        accessType: "read", createdAt: Date(), metadata: ["plan": "pro", "x": "1"])
}
