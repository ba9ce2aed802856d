import Foundation
import TokenStoreKit

/// Turns the server's error replies (`-ERR`, `-WRONGTYPE`, ...) into `TokenStoreError`s a user
/// can act on, keeping only the server's own words; the extension below does the same for
/// replies of a shape the command never returns.
enum RedisErrorMapping {
    /// The server's message without anything that could echo an argument (Redis appends
    /// "with args beginning with: ..." to unknown-command errors), control characters
    /// removed, at most 200 characters.
    static func sanitize(_ message: String) -> String {
        var text = Substring(message)
        if let echo = text.range(of: ", with args beginning with") ?? text.range(of: "with args beginning with") {
            text = text[..<echo.lowerBound]
        }
        let clean = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
        return clean.count > 200 ? String(clean.prefix(200)) + "..." : clean
    }

    /// The code a server error reply maps to, by its leading error word.
    static func code(for message: String) -> TokenStoreError.Code {
        let word = message.prefix(while: { $0 != " " }).uppercased()
        switch word {
        case "NOAUTH", "WRONGPASS": return .authenticationFailed
        case "NOPERM": return .permissionDenied
        case "LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "OOM", "MISCONF": return .unavailable
        case "MOVED", "ASK", "CROSSSLOT": return .misconfigured
        // A key of the store holds another type than the driver writes there (a string or
        // list where a hash belongs, a hash where a string belongs): damaged data.
        case "WRONGTYPE": return .corruptedRecord
        default:
            let lowered = message.lowercased()
            // Before Redis 7 a script's error is wrapped: "ERR Error running script ...: WRONGTYPE ...".
            if message.contains("WRONGTYPE") { return .corruptedRecord }
            if lowered.contains("invalid password") || lowered.contains("invalid username-password") { return .authenticationFailed }
            if lowered.contains("db index") { return .misconfigured }
            return .internal
        }
    }

    static func error(_ message: String, store: String, operation: String, record: String? = nil) -> TokenStoreError {
        let code = code(for: message)
        var text = "the server replied: " + sanitize(message)
        switch code {
        case .authenticationFailed: text += " (check the user and password in the store URL)"
        case .permissionDenied: text += " (the ACL user lacks a command or key pattern this store needs: ~{prefix}:* and @read @write @scripting @keyspace)"
        case .corruptedRecord:
            text += " (a key of this store holds another Redis type than this driver writes there: something else wrote it; delete or repair the key)"
        case .misconfigured where message.uppercased().hasPrefix("MOVED") || message.uppercased().hasPrefix("ASK"):
            text += " (a redis:// store talks to one server: open a Redis Cluster with redis+cluster://host1:port1,host2:port2)"
        default: break
        }
        return TokenStoreError(code, store: store, operation: operation, message: text, record: record)
    }
}

extension RedisTokenStore {
    /// The error for a reply of another shape than the command returns: the server's own
    /// error when it is one, else `internal` naming what came.
    func unexpected(_ operation: String, _ reply: RedisReply, record: String? = nil) -> TokenStoreError {
        if let message = reply.errorMessage {
            return RedisErrorMapping.error(message, store: displayName, operation: operation, record: record)
        }
        let kind: String
        switch reply {
        case .bulk: kind = "a bulk string"
        case .status(let text): kind = "status '\(RedisErrorMapping.sanitize(text))'"
        case .integer: kind = "an integer"
        case .null: kind = "nil"
        case .array(let items): kind = "an array of \(items.count)"
        case .error: kind = "an error"
        }
        return TokenStoreError(.internal, store: displayName, operation: operation, message: "unexpected reply: \(kind)", record: record)
    }

    /// Checks a `MULTI` ... `EXEC` pipeline: every queued command accepted, `EXEC` ran.
    func checkTransaction(_ replies: [RedisReply], operation: String, record: String?) throws {
        for reply in replies.dropLast() {
            if let message = reply.errorMessage {
                throw RedisErrorMapping.error(message, store: displayName, operation: operation, record: record)
            }
        }
        guard let exec = replies.last else { throw unexpected(operation, .null, record: record) }
        guard case .array(let results) = exec else { throw unexpected(operation, exec, record: record) }
        for result in results {
            if let message = result.errorMessage {
                throw RedisErrorMapping.error(message, store: displayName, operation: operation, record: record)
            }
        }
    }

    /// The bulk strings of an array reply (`ZRANGEBYLEX` members); anything else is `unexpected`.
    func bulkArray(_ reply: RedisReply, operation: String) throws -> [[UInt8]] {
        guard case .array(let items) = reply else { throw unexpected(operation, reply) }
        return try items.map { item in
            guard case .bulk(let bytes) = item else { throw unexpected(operation, item) }
            return bytes
        }
    }
}
