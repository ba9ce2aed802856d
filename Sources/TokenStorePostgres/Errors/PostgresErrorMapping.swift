import TokenStoreKit

/// Turns libpq and server failures into ``TokenStoreError``s a user can act on.
enum PostgresErrorMapping {
    /// `read_only_sql_transaction`: a write sent to a session that only reads.
    static let readOnlySession = "25006"

    static func error(for failure: LibPQFailure, store: String, operation: String) -> TokenStoreError {
        let message = failure.message
        switch failure.kind {
        case .timeout:
            return TokenStoreError(.timedOut, store: store, operation: operation, message: "the server did not answer in time")
        case .cancelled:
            return TokenStoreError(.timedOut, store: store, operation: operation, message: "the call was cancelled")
        case .connection:
            return connectionError(message, sqlState: failure.sqlState, store: store, operation: operation)
        case .server:
            return serverError(failure, store: store, operation: operation)
        }
    }

    /// A failed connect or a lost connection. The server's SQLSTATE decides when it sent
    /// one (a refused login: `28000` unknown role, no `pg_hba.conf` entry, not allowed to
    /// log in; `28P01` wrong password); libpq's own failures are told apart by their text.
    private static func connectionError(_ message: String, sqlState: String?, store: String, operation: String) -> TokenStoreError {
        let lowered = message.lowercased()
        let underlying = LibPQMessage(text: message)
        if sqlState == "28000" || sqlState == "28P01" || lowered.contains("password authentication failed")
            || lowered.contains("no password supplied") || lowered.contains("authentication failed")
            || lowered.contains("password is required") || (lowered.contains("role \"") && lowered.contains("does not exist"))
            || lowered.contains("no pg_hba.conf entry")
        {
            return TokenStoreError(
                .authenticationFailed, store: store, operation: operation,
                message: "the server rejected the user or password in the store URL: \(message)", underlying: underlying)
        }
        if sqlState == "3D000" || (lowered.contains("database") && lowered.contains("does not exist")) {
            return TokenStoreError(
                .misconfigured, store: store, operation: operation,
                message: "the database named in the store URL does not exist: \(message)", underlying: underlying)
        }
        if lowered.contains("session is read-only") || lowered.contains("server is in hot standby mode") {
            // libpq's target_session_attrs refused every server it reached: standbys only.
            return TokenStoreError(
                .unavailable, store: store, operation: operation,
                message: "no server in the URL accepts writes (target_session_attrs): the primary is down and no standby is "
                    + "promoted yet, or the URL names standbys only: \(message)", underlying: underlying)
        }
        if lowered.contains("ssl") || lowered.contains("tls") {
            return TokenStoreError(
                .misconfigured, store: store, operation: operation,
                message: "TLS was required (sslmode) but could not be used with this server: \(message)", underlying: underlying)
        }
        if lowered.contains("timeout expired") {
            return TokenStoreError(.timedOut, store: store, operation: operation, message: "connecting timed out: \(message)", underlying: underlying)
        }
        return TokenStoreError(
            .unavailable, store: store, operation: operation, message: "the server cannot be reached: \(message)", underlying: underlying)
    }

    private static func serverError(_ failure: LibPQFailure, store: String, operation: String) -> TokenStoreError {
        let state = failure.sqlState ?? ""
        let message = "\(failure.message) (SQLSTATE \(state.isEmpty ? "unknown" : state))"
        let underlying = LibPQMessage(text: message)
        switch state {
        case "28P01", "28000":
            return TokenStoreError(.authenticationFailed, store: store, operation: operation, message: message, underlying: underlying)
        case "3D000":
            return TokenStoreError(.misconfigured, store: store, operation: operation, message: message, underlying: underlying)
        case "57014":
            return TokenStoreError(.timedOut, store: store, operation: operation, message: "the statement timed out: \(message)", underlying: underlying)
        case "0A000" where failure.message.contains("must not change result type"):
            // A table altered under a connection that prepared its statements before.
            return TokenStoreError(
                .corruptedRecord, store: store, operation: operation,
                message: "the token table's column types changed (ALTER TABLE outside swift-tokenstore's migrations); "
                    + "restore the column types the migrations created: \(message)", underlying: underlying)
        case "40P01", "40001":
            // The server rolled the transaction back to let a concurrent writer through.
            return TokenStoreError(
                .unavailable, store: store, operation: operation,
                message: "the server rolled this call back to break a conflict with a concurrent writer; nothing of it was "
                    + "written and running it again is safe: \(message)", underlying: underlying)
        case readOnlySession:
            // The statement was refused before it ran; its connection is dropped (see
            // `LibPQConnection.serverFailure`), so the next call connects afresh.
            return TokenStoreError(
                .unavailable, store: store, operation: operation,
                message: "the server is read-only (a standby, or a primary demoted under this connection); nothing was written "
                    + "and running the call again is safe: with several hosts and target_session_attrs=read-write in the URL "
                    + "the next connection goes to the server that accepts writes: \(message)", underlying: underlying)
        case "42501":
            return TokenStoreError(.permissionDenied, store: store, operation: operation, message: message, underlying: underlying)
        case _ where state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53"):
            return TokenStoreError(.unavailable, store: store, operation: operation, message: message, underlying: underlying)
        case "42P01", "3F000":
            return TokenStoreError(
                .misconfigured, store: store, operation: operation,
                message: "the token tables are missing; was the schema dropped? \(message)", underlying: underlying)
        default:
            return TokenStoreError(.internal, store: store, operation: operation, message: message, underlying: underlying)
        }
    }
}

/// libpq's message text as an underlying error (libpq never includes the password).
struct LibPQMessage: Error, Sendable, CustomStringConvertible {
    let text: String
    var description: String { text }
}
