import CTokenStoreLibPQ
import TokenStoreKit


extension LibPQConnection {
    /// Bytes handed to `PQputCopyData` at a time: a few socket buffers' worth, so libpq's
    /// output buffer stays small however much one `COPY` carries.
    static let copyPiece = 64 * 1024

    /// Runs `sql` (a `COPY ... FROM STDIN`) and sends `data`, rows in `COPY`'s text
    /// format, without blocking: a full socket buffer is waited out on the socket waiter.
    ///
    /// - Returns: the rows the server copied.
    func copyIn(sql: String, data: [UInt8], deadline: ContinuousClock.Instant) async throws(LibPQFailure) -> Int {
        guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
        try await finishSending(PQsendQuery(handle, sql), deadline: deadline)
        guard let started = try await nextResult(deadline: deadline) else { throw broken() }
        let status = PQresultStatus(started)
        guard status == PGRES_COPY_IN else {
            // The COPY itself failed (no such table...): its error, then the end of its results.
            let failure = status == PGRES_COMMAND_OK ? LibPQFailure(kind: .connection, message: "COPY did not start") : Self.serverFailure(started)
            PQclear(started)
            while let extra = try await nextResult(deadline: deadline) { PQclear(extra) }
            throw failure
        }
        PQclear(started)
        var offset = 0
        while offset < data.count {
            let count = min(Self.copyPiece, data.count - offset)
            let queued = data.withUnsafeBytes { bytes in
                PQputCopyData(handle, bytes.baseAddress.map { ($0 + offset).assumingMemoryBound(to: CChar.self) }, Int32(count))
            }
            switch queued {
            case 1:
                offset += count
                try await finishSending(1, deadline: deadline)
            case 0:
                // libpq's buffer is full (non-blocking mode): wait until the socket drains.
                try await waitForSocket(.writable, deadline: deadline)
                if PQconsumeInput(handle) == 0 { throw broken() }
            default:
                throw broken()
            }
        }
        while true {
            let ended = PQputCopyEnd(handle, nil)
            if ended == 1 { break }
            if ended < 0 { throw broken() }
            try await waitForSocket(.writable, deadline: deadline)
        }
        try await finishSending(1, deadline: deadline)
        return try await collectResult(deadline: deadline).affected
    }
}
