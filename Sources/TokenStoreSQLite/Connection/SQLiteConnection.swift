import CTokenStoreSQLite
import Glibc

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the bind call returns. The C
/// macro is a cast of -1 to a function pointer, which Swift does not import.
var sqliteTransient: sqlite3_destructor_type {
    unsafeBitCast(-1 as Int, to: sqlite3_destructor_type.self)
}

/// One SQLite connection and its prepared statements.
///
/// Not `Sendable`: it lives inside the `Mutex` of a ``SQLiteConnectionSlot`` and is only
/// touched by whoever holds that lock (opened with `SQLITE_OPEN_NOMUTEX` for that reason).
final class SQLiteConnection {
    /// The `sqlite3 *` handle; `nil` once closed.
    private(set) var db: OpaquePointer?
    /// Prepared statements by ``SQLiteStatementID/rawValue``, prepared on first use.
    private var statements: [OpaquePointer?]
    /// The busy timeout currently set on the handle, in milliseconds.
    private var currentBusyTimeout: Int32 = -1
    /// Keeps the WAL hook's context alive as long as the handle.
    private var walHookOwner: SQLiteCheckpointScheduler?
    /// Bytes of texts bound borrowed by ``bindScratchText(_:_:_:)``: one buffer reused by
    /// every call, grown when a call needs more.
    private var scratch: UnsafeMutableRawPointer?
    private var scratchCapacity = 0
    /// Bytes of `scratch` in use: zeroed by ``finish(_:)``, so no secret outlives the call.
    private var scratchUsed = 0

    /// Opens `path` read-write, creating it when missing unless `create` is `false`.
    init(path: String, create: Bool = true) throws(SQLiteError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let error = SQLiteError(code: rc, db: handle)
            sqlite3_close_v2(handle)
            throw error
        }
        self.db = handle
        self.statements = Array(repeating: nil, count: SQLiteStatementID.allCases.count)
    }

    deinit {
        close()
        scratch?.deallocate()
    }

    /// Finalizes every statement and closes the handle. Harmless when already closed.
    func close() {
        guard let db else { return }
        for statement in statements where statement != nil {
            sqlite3_finalize(statement)
        }
        statements = []
        // Unhook first: the scheduler must not be called once this connection is gone.
        if walHookOwner != nil { sqlite3_wal_hook(db, nil, nil) }
        walHookOwner = nil
        sqlite3_close_v2(db)
        self.db = nil
    }

    /// Sets the busy timeout when it differs from the current one (a cheap call, skipped
    /// when unchanged).
    func setBusyTimeout(milliseconds: Int32) {
        guard milliseconds != currentBusyTimeout, let db else { return }
        sqlite3_busy_timeout(db, milliseconds)
        currentBusyTimeout = milliseconds
    }

    /// Sends each commit's WAL size to `scheduler`, which replaces SQLite's automatic
    /// checkpoint (run inline by the committing thread) with one run on the writer's queue.
    /// Replaces any `wal_autocheckpoint` setting: SQLite implements that as a WAL hook too.
    func installWALHook(_ scheduler: SQLiteCheckpointScheduler) {
        guard let db else { return }
        walHookOwner = scheduler
        sqlite3_wal_hook(db, { context, _, _, pages in
            guard let context else { return SQLITE_OK }
            Unmanaged<SQLiteCheckpointScheduler>.fromOpaque(context).takeUnretainedValue().walDidCommit(pages: Int(pages))
            return SQLITE_OK
        }, Unmanaged.passUnretained(scheduler).toOpaque())
    }

    // MARK: Statements

    /// The prepared statement `id`, reset and unbound, ready to bind.
    func statement(_ id: SQLiteStatementID) throws(SQLiteError) -> OpaquePointer {
        if let prepared = statements[id.rawValue] { return prepared }
        guard let db else { throw SQLiteError(code: SQLITE_MISUSE, message: "connection closed") }
        var prepared: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, id.sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard rc == SQLITE_OK, let prepared else { throw SQLiteError(code: rc, db: db) }
        statements[id.rawValue] = prepared
        return prepared
    }

    /// Makes `statement` reusable: resets it and drops its bindings (so no secret stays
    /// bound to an idle statement).
    func finish(_ statement: OpaquePointer) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        if scratchUsed > 0, let scratch {
            memset(scratch, 0, scratchUsed)
            scratchUsed = 0
        }
    }

    /// Steps `statement`: `true` for a row, `false` when done.
    func step(_ statement: OpaquePointer) throws(SQLiteError) -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc: throw SQLiteError(code: rc, db: db)
        }
    }

    /// Runs `id` to completion and returns the number of rows it changed.
    @discardableResult
    func run(_ id: SQLiteStatementID) throws(SQLiteError) -> Int {
        let statement = try statement(id)
        defer { finish(statement) }
        while try step(statement) {}
        return Int(sqlite3_changes64(db))
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes64(db)) }

    /// Runs SQL text (migrations, pragmas) without preparing it for reuse.
    func execute(_ sql: String) throws(SQLiteError) {
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, db: db) }
    }

    /// The first column of the first row of `sql`, as text.
    func scalarText(_ sql: String) throws(SQLiteError) -> String? {
        var prepared: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &prepared, nil)
        guard rc == SQLITE_OK, let prepared else { throw SQLiteError(code: rc, db: db) }
        defer { sqlite3_finalize(prepared) }
        guard try step(prepared) else { return nil }
        guard let text = sqlite3_column_text(prepared, 0) else { return nil }
        return String(cString: text)
    }

    // MARK: Binding

    /// Binds `bytes` without SQLite copying them (`SQLITE_STATIC`): the caller keeps them
    /// alive and unchanged until ``finish(_:)`` clears the binding. Saves the malloc and
    /// copy of a transient binding on the hot point reads.
    func bindBorrowed(_ statement: OpaquePointer, _ index: Int32, _ bytes: UnsafeBufferPointer<UInt8>) throws(SQLiteError) {
        let rc: Int32
        if let base = bytes.baseAddress {
            rc = sqlite3_bind_text64(
                statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                sqlite3_uint64(bytes.count), nil, UInt8(SQLITE_UTF8))
        } else {
            // An empty buffer may have no address, and a nil pointer would bind NULL.
            rc = sqlite3_bind_text(statement, index, "", 0, sqliteTransient)
        }
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, db: db) }
    }

    /// Readies the scratch buffer for ``bindScratchText(_:_:_:)`` calls whose texts total
    /// `byteCount` UTF-8 bytes: zeroes what the last statement left there and grows it when
    /// it is too small. After that, binding allocates nothing and SQLite copies nothing.
    ///
    /// The bindings stay valid until ``finish(_:)`` or the next reservation, so the caller
    /// steps and finishes the statement before reserving again.
    func reserveScratch(byteCount: Int) {
        if scratchUsed > 0, let scratch {
            memset(scratch, 0, scratchUsed)
            scratchUsed = 0
        }
        guard byteCount > scratchCapacity else { return }
        scratch?.deallocate()
        scratchCapacity = max(byteCount, 2 * scratchCapacity, 256)
        scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchCapacity, alignment: 1)
    }

    /// Copies `text` into the scratch buffer, after the texts bound since
    /// ``reserveScratch(byteCount:)``, and binds it borrowed to `index` (`nil` as NULL).
    ///
    /// One text at a time rather than an array of them: the array cost a retain and a
    /// release of every string and a generic destroy of the array on each put.
    func bindScratchText(_ statement: OpaquePointer, _ index: Int32, _ text: String?) throws(SQLiteError) {
        guard let text else {
            sqlite3_bind_null(statement, index)
            return
        }
        let count = text.utf8.count
        // A text the buffer cannot hold (more than was reserved), or an empty one, is bound
        // as a copy instead.
        guard count > 0, let scratch, scratchUsed + count <= scratchCapacity else {
            return try bind(statement, index, text)
        }
        let start = scratch + scratchUsed
        let copied = text.utf8.withContiguousStorageIfAvailable { source -> Bool in
            guard let base = source.baseAddress, source.count == count else { return false }
            start.copyMemory(from: base, byteCount: count)
            return true
        }
        guard copied == true else { return try bind(statement, index, text) }
        scratchUsed += count
        try bindBorrowed(statement, index, UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count))
    }

    func bind(_ statement: OpaquePointer, _ index: Int32, _ value: String) throws(SQLiteError) {
        var value = value
        let rc = value.withUTF8 { bytes -> Int32 in
            guard let base = bytes.baseAddress else {
                // An empty buffer may have no address, and a nil pointer would bind NULL.
                return sqlite3_bind_text(statement, index, "", 0, sqliteTransient)
            }
            return sqlite3_bind_text64(
                statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                sqlite3_uint64(bytes.count), sqliteTransient, UInt8(SQLITE_UTF8))
        }
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, db: db) }
    }

    func bind(_ statement: OpaquePointer, _ index: Int32, _ value: String?) throws(SQLiteError) {
        guard let value else {
            sqlite3_bind_null(statement, index)
            return
        }
        try bind(statement, index, value)
    }

    func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(statement, index, value)
    }

    // MARK: Columns

    /// The text in column `index`, `nil` for NULL.
    ///
    /// - Throws: a message when the column holds something other than valid UTF-8 text.
    func text(_ statement: OpaquePointer, _ index: Int32, column: StaticString) throws(SQLiteColumnError) -> String? {
        let cell = tokenstore_sqlite3_column(statement, index)
        switch cell.type {
        case SQLITE_NULL:
            return nil
        case SQLITE_TEXT:
            let count = Int(cell.length)
            guard count > 0 else { return "" }
            guard let base = cell.text else {
                throw SQLiteColumnError(problem: "\(column) cannot be read")
            }
            let bytes = UnsafeBufferPointer(start: base, count: count)
            // `String(decoding:)` repairs invalid UTF-8; a repaired string differs from the
            // stored bytes. (Cheaper than the generic `String(validating:as:)`, which
            // looks up type metadata on every call.)
            var text = String(decoding: bytes, as: UTF8.self)
            let intact = text.withUTF8 { decoded in
                decoded.count == count && decoded.baseAddress.map { memcmp($0, base, count) == 0 } == true
            }
            guard intact else { throw SQLiteColumnError(problem: "\(column) is not valid UTF-8") }
            return text
        default:
            throw SQLiteColumnError(problem: "\(column) is not text")
        }
    }

    /// The text in NOT NULL column `index`.
    func requiredText(_ statement: OpaquePointer, _ index: Int32, column: StaticString) throws(SQLiteColumnError) -> String {
        guard let text = try text(statement, index, column: column) else {
            throw SQLiteColumnError(problem: "\(column) is NULL")
        }
        return text
    }

    /// The integer in column `index`.
    func integer(_ statement: OpaquePointer, _ index: Int32, column: StaticString) throws(SQLiteColumnError) -> Int64 {
        let cell = tokenstore_sqlite3_column(statement, index)
        guard cell.type == SQLITE_INTEGER else {
            throw SQLiteColumnError(problem: "\(column) is not an integer")
        }
        return cell.integer
    }
}

/// A column of a row that does not hold what the schema says.
struct SQLiteColumnError: Error {
    var problem: String
}

extension SQLiteConnection {
    /// Prepares `sql` for one use, runs `body` with it, and finalizes it.
    func withStatement<R>(_ sql: String, _ body: (OpaquePointer) throws -> R) throws -> R {
        var prepared: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &prepared, nil)
        guard rc == SQLITE_OK, let prepared else { throw SQLiteError(code: rc, db: db) }
        defer { sqlite3_finalize(prepared) }
        return try body(prepared)
    }
}

/// Column `index` of the current row as an integer, whatever its type.
func sqlite3Int(_ statement: OpaquePointer, _ index: Int32) -> Int64 {
    sqlite3_column_int64(statement, index)
}
