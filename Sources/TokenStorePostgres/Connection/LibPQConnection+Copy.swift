import CTokenStoreLibPQ
import TokenStoreIO
import TokenStoreKit

/// One statement's outcome in a script: its command tag (`INSERT 0 5` -> `INSERT`) and rows.
struct LibPQCommandOutcome: Sendable, Equatable {
    var command: String
    var affected: Int
}

extension LibPQConnection {
    /// Bytes handed to `PQputCopyData` at a time: a few socket buffers' worth, so libpq's
    /// output buffer stays small however much one `COPY` carries.
    static let copyPiece = 64 * 1024

    /// Runs `script`, simple-query SQL holding one `COPY ... FROM STDIN` among its
    /// statements, and sends `data` (rows in `COPY`'s text format) when the server asks
    /// for it: the statements around the `COPY` ride in the same exchange, so a whole
    /// script is two round trips. Never blocks: full socket buffers are waited out on
    /// the socket waiter.
    ///
    /// - Returns: every statement's outcome in order. A statement's error is thrown after
    ///   all results are read (the server skips the rest of the script after it).
    func runCopyScript(_ script: String, data: [UInt8], deadline: ContinuousClock.Instant) async throws(LibPQFailure)
        -> [LibPQCommandOutcome]
    {
        guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
        try await finishSending(PQsendQuery(handle, script), deadline: deadline)
        var outcomes: [LibPQCommandOutcome] = []
        var failure: LibPQFailure?
        var copied = false
        while let result = try await nextResult(deadline: deadline) {
            let status = PQresultStatus(result)
            switch status {
            case PGRES_COPY_IN:
                PQclear(result)
                // A second request for data would mean libpq and the server disagree.
                guard !copied else { throw broken() }
                copied = true
                try await sendCopyData(data, deadline: deadline)
                continue
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
                let command = String(cString: PQcmdStatus(result)).prefix { $0 != " " }
                outcomes.append(LibPQCommandOutcome(command: String(command), affected: Int(String(cString: PQcmdTuples(result))) ?? 0))
            default:
                if failure == nil { failure = serverFailure(result) }
            }
            PQclear(result)
        }
        if let failure {
            if PQstatus(handle) != CONNECTION_OK { brokenFlag = true }
            throw failure
        }
        if PQstatus(handle) != CONNECTION_OK { throw broken() }
        return outcomes
    }

    /// Sends `data` and the end of the copy in pieces, flushing as the socket allows.
    private func sendCopyData(_ data: [UInt8], deadline: ContinuousClock.Instant) async throws(LibPQFailure) {
        guard let handle else { throw LibPQFailure(kind: .connection, message: "the connection is closed") }
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
                // The server ended the copy with an error (read with the results), or
                // the connection failed.
                if PQstatus(handle) == CONNECTION_OK { return }
                throw broken()
            }
        }
        while true {
            let ended = PQputCopyEnd(handle, nil)
            if ended == 1 { break }
            if ended < 0 {
                if PQstatus(handle) == CONNECTION_OK { return }
                throw broken()
            }
            try await waitForSocket(.writable, deadline: deadline)
        }
        try await finishSending(1, deadline: deadline)
    }
}
