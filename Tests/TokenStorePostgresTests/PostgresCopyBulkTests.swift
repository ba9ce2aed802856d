import Foundation
import Logging
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStorePostgres

/// `COPY`'s text format as the bulk writes encode it (no server needed).
@Suite("PostgreSQL COPY text", .timeLimit(.minutes(1)))
struct PostgresCopyTextTests {
    @Test("fields are tab-separated after the round, NULL is \\N, backslash, tab, newline and CR are escaped")
    func encodesARow() {
        var buffer: [UInt8] = []
        PostgresCopyText.appendRow(round: 12, ["a b", nil, "", "t\tn\nr\rb\\", "\\N", "🙂,{}\"'"], to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "12\ta b\t\\N\t\tt\\tn\\nr\\rb\\\\\t\\\\N\t🙂,{}\"'\n")
        buffer.removeAll()
        PostgresCopyText.appendRow(round: nil, ["a", nil], to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "a\t\\N\n")
    }
}

extension PostgresServerTests {
    /// The bulk paths' chunking and staging against a server.
    @Suite("PostgreSQL COPY bulk writes", .timeLimit(.minutes(3)))
    struct CopyBulkWrites {
        /// A store whose bulk calls stage `chunk` rows at a time, logging each chunk to `log`.
        private func store(chunk: Int, log: ChunkLog, extra: String = "") async throws -> PostgresTokenStore {
            var configuration = try PostgresTokenStore.Configuration(url: try PostgresTestServer.urlWithFreshSchema(extra: extra))
            configuration.bulkChunkRows = chunk
            var logger = log.capture.logger()
            logger.logLevel = .trace
            configuration.logger = logger
            return try await PostgresTokenStore(configuration: configuration)
        }

        private static let base = Date(timeIntervalSince1970: 1_700_000_000)

        private static func token(_ user: String, _ offset: Double, secret: String? = nil) -> AccessToken {
            AccessToken(
                provider: "p", userID: user, token: "t-\(user)-\(offset)", secret: secret ?? "s-\(offset)",
                createdAt: base, updatedAt: base.addingTimeInterval(offset))
        }

        @Test("one call stages at most the chunk size at a time and writes like saving one by one", arguments: [WritePolicy.overwrite, .ifNewer])
        func chunksAndKeepsSemantics(policy: WritePolicy) async throws {
            let log = ChunkLog()
            let store = try await store(chunk: 4, log: log)
            let reference = InMemoryTokenStore()
            let existing = [Self.token("a", 5), Self.token("d", 1)]
            _ = try await store.saveAccessTokens(existing, policy: .overwrite)
            _ = try await reference.saveAccessTokens(existing, policy: .overwrite)
            log.reset()
            // Keys repeat inside a chunk and across chunk boundaries; some are older.
            let batch = [
                Self.token("a", 1), Self.token("b", 2), Self.token("a", 7), Self.token("c", 3),
                Self.token("b", 1), Self.token("d", 9), Self.token("a", 8), Self.token("e", 1),
                Self.token("a", 6), Self.token("c", 4),
            ]
            let written = try await store.saveAccessTokens(batch, policy: policy)
            #expect(written == (try await reference.saveAccessTokens(batch, policy: policy)))
            #expect(log.chunks == [4, 4, 2])
            let stored = try await store.listAccessTokens(after: nil, limit: 100).tokens
            #expect(stored == (try await reference.listAccessTokens(after: nil, limit: 100).tokens))

            let requests = (0..<9).map { index in
                RequestToken(
                    provider: "p", token: "rt\(index % 5)", secret: "s\(index)", context: RequestTokenContext(),
                    createdAt: Self.base, expiresAt: Date().addingTimeInterval(3600))
            }
            log.reset()
            #expect(try await store.saveRequestTokens(requests) == requests.count)
            #expect(log.chunks == [4, 4, 1])
            for index in 0..<5 {
                #expect(try await store.takeRequestToken("rt\(index)")?.secret == "s\(index < 4 ? index + 5 : index)")
            }
            try await store.close()
        }

        @Test("a refused row in a later chunk leaves nothing of the earlier chunks")
        func atomicAcrossChunks() async throws {
            let log = ChunkLog()
            let store = try await store(chunk: 3, log: log)
            var batch = (0..<10).map { Self.token("u\($0)", 1) }
            batch[8] = Self.token("u8", 1, secret: "bad\u{0}secret")
            let error = try #require(await storeError { _ = try await store.saveAccessTokens(batch, policy: .overwrite) })
            #expect(error.code == .invalidArgument)
            #expect(log.chunks.count == 2, "the first two chunks were staged and upserted before the refusal")
            #expect(try await store.counts().accessTokens == 0)
            // The connection is clean afterwards.
            #expect(try await store.saveAccessTokens(Array(batch.prefix(8)), policy: .overwrite) == 8)
            try await store.close()
        }

        @Test("values COPY's text format escapes roundtrip exactly")
        func copyEscapes() async throws {
            let store = try await store(chunk: 2, log: ChunkLog())
            let values = ["\\N", "\\.", "a\tb", "a\nb", "a\rb", "\r\n", "\\", "\\\\t", "end\\", "\t", " ", "NULL"]
            let tokens = values.enumerated().map { index, value in
                AccessToken(
                    provider: "p\(value)", userID: "u\(index)\(value)", token: value, secret: value, screenName: value,
                    accessType: index % 2 == 0 ? nil : value, createdAt: Self.base, metadata: [value: value])
            }
            #expect(try await store.saveAccessTokens(tokens, policy: .overwrite) == tokens.count)
            for token in tokens { #expect(try await store.accessToken(for: token.key) == token, "\(token.secret.debugDescription)") }
            try await store.close()
        }

        @Test("a key inserted by another writer between the UPDATE and the INSERT: the batch is redone with ON CONFLICT")
        func concurrentInsertFallsBack() async throws {
            let store = try await store(chunk: 3, log: ChunkLog())
            let schema = PostgresStatements.quote(store.configuration.schema)
            let reference = InMemoryTokenStore()
            // An existing key sends the batch through the staging table.
            let existing = [Self.token("u0", 3)]
            _ = try await store.saveAccessTokens(existing, policy: .overwrite)
            _ = try await reference.saveAccessTokens(existing, policy: .overwrite)
            // The first INSERT of missing keys fails as a concurrent insert of the same key
            // would (a sequence is not rolled back, so only the first one does).
            _ = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(
                    sql: """
                        CREATE SEQUENCE \(schema).fail_once;
                        CREATE FUNCTION \(schema).fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF current_query() LIKE '%NOT EXISTS%' THEN
                                IF nextval('\(schema).fail_once') = 1 THEN
                                    RAISE unique_violation USING MESSAGE = 'duplicate key (simulated concurrent insert)';
                                END IF;
                            END IF;
                            RETURN NULL;
                        END $$;
                        CREATE TRIGGER fail_once BEFORE INSERT ON \(schema).access_tokens
                            FOR EACH STATEMENT EXECUTE FUNCTION \(schema).fail_once();
                        """, deadline: deadline)
            }
            let batch = (0..<7).map { Self.token("u\($0 % 5)", Double($0)) }
            #expect(try await store.saveAccessTokens(batch, policy: .ifNewer) == (try await reference.saveAccessTokens(batch, policy: .ifNewer)))
            #expect(try await store.listAccessTokens(after: nil, limit: 100).tokens == (try await reference.listAccessTokens(after: nil, limit: 100).tokens))
            let failed = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(sql: "SELECT is_called FROM \(schema).fail_once", deadline: deadline)
            }
            #expect(failed.first?.first == "t", "the simulated concurrent insert happened")
            try await store.close()
        }

        /// Makes the first `failures` bulk upsert statements (those reading the stage) fail
        /// as a deadlock the server broke would; `fail_deadlock`'s value counts the tries.
        private func failAsDeadlock(_ store: PostgresTokenStore, failures: Int) async throws {
            let schema = PostgresStatements.quote(store.configuration.schema)
            _ = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(
                    sql: """
                        CREATE SEQUENCE \(schema).fail_deadlock;
                        CREATE FUNCTION \(schema).fail_deadlock() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF current_query() LIKE '%pg_temp.%' THEN
                                IF nextval('\(schema).fail_deadlock') <= \(failures) THEN
                                    RAISE deadlock_detected USING MESSAGE = 'deadlock detected (simulated)';
                                END IF;
                            END IF;
                            RETURN NULL;
                        END $$;
                        CREATE TRIGGER fail_deadlock BEFORE INSERT OR UPDATE ON \(schema).access_tokens
                            FOR EACH STATEMENT EXECUTE FUNCTION \(schema).fail_deadlock();
                        """, deadline: deadline)
            }
        }

        private func deadlockTries(_ store: PostgresTokenStore) async throws -> String? {
            let schema = PostgresStatements.quote(store.configuration.schema)
            let rows = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(sql: "SELECT last_value FROM \(schema).fail_deadlock", deadline: deadline)
            }
            return rows.first?.first ?? nil
        }

        @Test("a batch the server rolls back to break a deadlock is written again, in key order, and the store keeps to that path")
        func deadlockIsRetried() async throws {
            let log = ChunkLog()
            let store = try await store(chunk: 3, log: log)
            let reference = InMemoryTokenStore()
            let existing = [Self.token("u1", 3), Self.token("u4", 0)]
            _ = try await store.saveAccessTokens(existing, policy: .overwrite)
            _ = try await reference.saveAccessTokens(existing, policy: .overwrite)
            try await failAsDeadlock(store, failures: 2)
            let batch = (0..<8).map { Self.token("u\(7 - $0 % 6)", Double($0)) }
            #expect(try await store.saveAccessTokens(batch, policy: .ifNewer) == (try await reference.saveAccessTokens(batch, policy: .ifNewer)))
            #expect(try await store.listAccessTokens(after: nil, limit: 100).tokens == (try await reference.listAccessTokens(after: nil, limit: 100).tokens))
            let tries = Int(try await deadlockTries(store) ?? "") ?? 0
            #expect(tries > 2, "two rolled-back statements, then those that wrote")
            let contended = store.bulkWritesContend.load(ordering: .relaxed)
            #expect(contended)
            log.reset()
            let fresh = (10..<13).map { Self.token("u\($0)", 1) }
            _ = try await store.saveAccessTokens(fresh, policy: .overwrite)
            _ = try await reference.saveAccessTokens(fresh, policy: .overwrite)
            #expect(log.direct == [false], "after a deadlock no direct COPY is tried")
            #expect(try await store.listAccessTokens(after: nil, limit: 100).tokens == (try await reference.listAccessTokens(after: nil, limit: 100).tokens))
            try await store.close()
        }

        @Test("a batch rolled back on every try fails as unavailable, says a retry is safe, and writes nothing")
        func deadlockGivesUp() async throws {
            let store = try await store(chunk: 3, log: ChunkLog())
            _ = try await store.saveAccessTokens([Self.token("u0", 1)], policy: .overwrite)
            try await failAsDeadlock(store, failures: 1000)
            let batch = (0..<5).map { Self.token("u\($0)", 9) }
            let error = await #expect(throws: TokenStoreError.self) { try await store.saveAccessTokens(batch, policy: .overwrite) }
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("running it again is safe") == true, "\(String(describing: error))")
            #expect(try await deadlockTries(store) == "\(PostgresTokenStore.bulkAttempts)")
            #expect(try await store.counts().accessTokens == 1)
            #expect(try await store.accessToken(for: AccessTokenKey(provider: "p", userID: "u0"))?.updatedAt == Self.token("u0", 1).updatedAt)
            try await store.close()
        }

        @Test("writers saving the same stored keys in different orders at once all succeed")
        func concurrentReorderedBatches() async throws {
            // A loaded runner may keep a writer waiting on the others' row locks past the default
            // 10 s; this test is about deadlocks, not latency.
            let store = try await store(chunk: 500, log: ChunkLog(), extra: "&pool_max=6&operation_timeout=120")
            let keys = (0..<40).map { "u\($0)" }
            _ = try await store.saveAccessTokens(keys.map { Self.token($0, 0) }, policy: .overwrite)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<6 {
                    group.addTask {
                        for round in 0..<15 {
                            let batch = keys.shuffled().map { Self.token($0, Double(round * 10 + writer)) }
                            _ = try await store.saveAccessTokens(batch, policy: .overwrite)
                            _ = try await store.saveAccessToken(batch[0])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let stored = try await store.listAccessTokens(after: nil, limit: 100).tokens
            #expect(stored.map(\.userID).sorted() == keys.sorted())
            try await store.close()
        }

        @Test("a call into an empty table copies straight in; a key found later sends the rest through the stage")
        func directCopyThenStage() async throws {
            let log = ChunkLog()
            let store = try await store(chunk: 3, log: log)
            let reference = InMemoryTokenStore()
            let existing = [Self.token("u7", 9)]
            _ = try await store.saveAccessTokens(existing, policy: .overwrite)
            _ = try await reference.saveAccessTokens(existing, policy: .overwrite)
            log.reset()
            // u0-u5 are new (two direct chunks); u6, u7, u8: u7 exists, newer in the table.
            let batch = (0..<9).map { Self.token("u\($0)", Double($0)) }
            #expect(try await store.saveAccessTokens(batch, policy: .ifNewer) == (try await reference.saveAccessTokens(batch, policy: .ifNewer)))
            #expect(log.chunks == [3, 3, 3])
            #expect(log.direct == [true, true, false])
            #expect(try await store.listAccessTokens(after: nil, limit: 100).tokens == (try await reference.listAccessTokens(after: nil, limit: 100).tokens))
            try await store.close()
        }

        @Test("after a call that met stored keys, the next goes straight to the stage; after one that met none, it copies straight in again")
        func directCopyHint() async throws {
            let log = ChunkLog()
            let store = try await store(chunk: 2, log: log)
            let first = (0..<4).map { Self.token("u\($0)", 1) }
            #expect(try await store.saveAccessTokens(first, policy: .overwrite) == 4)
            #expect(log.direct == [true, true])
            log.reset()
            #expect(try await store.saveAccessTokens(first, policy: .overwrite) == 4)
            #expect(log.direct == [false, false], "the first chunk's direct COPY failed on u0")
            log.reset()
            let fresh = (4..<8).map { Self.token("u\($0)", 1) }
            #expect(try await store.saveAccessTokens(fresh, policy: .overwrite) == 4)
            #expect(log.direct == [false, false], "the call before met stored keys")
            log.reset()
            let fresher = (8..<12).map { Self.token("u\($0)", 1) }
            #expect(try await store.saveAccessTokens(fresher, policy: .overwrite) == 4)
            #expect(log.direct == [true, true], "the call before met none")
            #expect(try await store.counts().accessTokens == 12)
            try await store.close()
        }

        @Test("staged rows (secrets) do not outlive the call's transaction")
        func stagingEmptiedAtCommit() async throws {
            let store = try await store(chunk: 3, log: ChunkLog(), extra: "&pool_max=1")
            _ = try await store.saveAccessTokens((0..<7).map { Self.token("u\($0)", 1) }, policy: .overwrite)
            let rows = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(sql: "SELECT count(*) FROM pg_temp.\(PostgresStatements.accessStage)", deadline: deadline)
            }
            #expect(rows.first?.first == "0")
            try await store.close()
        }
    }
}


/// The rows of each bulk chunk a store logged (`bulk write chunk` at debug level).
final class ChunkLog: Sendable {
    let capture = LogCapture()
    private var chunkEntries: [LogCapture.Entry] { capture.entries.filter { $0.message == "bulk write chunk" } }
    var chunks: [Int] { chunkEntries.compactMap { $0.metadata["rows"].flatMap { Int("\($0)") } } }
    /// Whether each chunk was copied straight into the table.
    var direct: [Bool] { chunkEntries.map { $0.metadata["direct"].map { "\($0)" } == "true" } }
    func reset() { capture.reset() }
}
