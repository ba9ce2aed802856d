import CTokenStoreLibPQ
import Foundation
import Logging
import TokenStoreKit

extension PostgresTokenStore.Configuration {
    /// Query parameters this driver reads itself; everything else goes to libpq.
    static let driverParameters: [String: String] = [
        "schema": "the PostgreSQL schema for the tables (default tokenstore)",
        "pool_min": "connections kept open (default 0)",
        "pool_max": "most connections open at once (default 8)",
        "pool_idle_timeout": "seconds an idle connection stays open (default 60)",
        "pool_acquire_timeout": "seconds a call waits for a free connection (default 5)",
        "operation_timeout": "seconds one call's statement may run (default 10)",
        "connect_timeout": "seconds opening a connection may take (default 10)",
        ReplyWait.urlParameter: "adaptive, park or spin: how a call waits for its reply (default adaptive)",
        deprecatedOperationTimeout: "the old name of operation_timeout, accepted for one release",
    ]

    /// The old name of `operation_timeout` (before the drivers shared one name per concept),
    /// still read, with a logged warning, for one release.
    static let deprecatedOperationTimeout = "statement_timeout"

    /// Parses a store URL or a libpq keyword string.
    ///
    /// - `postgres://user:password@host:port/dbname?sslmode=require&pool_max=16`
    /// - `postgresql://user@%2Fvar%2Frun%2Fpostgresql/dbname` or `?host=/var/run/postgresql` (unix socket)
    /// - `host=db.internal dbname=app user=app pool_max=16` (keyword string)
    /// - `postgres://user:password@h1:5432,h2:5432/dbname?target_session_attrs=read-write`
    ///   or `host=h1,h2 port=5432,5432 target_session_attrs=read-write`: several hosts,
    ///   tried in order until one accepts writes (libpq's failover; see "Failover" in the
    ///   module's documentation). With several hosts the driver sets libpq's
    ///   `tcp_user_timeout` to 2 s unless the URL sets it, so a host that drops packets
    ///   does not hold every connect until `connect_timeout`.
    ///
    /// The driver's own parameters (`driverParameters`: `schema`, `pool_min`, `pool_max`,
    /// `pool_idle_timeout`, `pool_acquire_timeout`, `operation_timeout`, `connect_timeout`,
    /// `reply_wait`; pool sizes and timeouts are checked by `ConnectionLimits`) are taken out; the rest
    /// (`sslmode`, `sslrootcert`, `application_name`, ...) go to libpq, which validates them.
    /// `statement_timeout`, the old name of `operation_timeout`, is still read for one
    /// release, with a warning logged to `options.logger`.
    ///
    /// - Throws: `TokenStoreError` with `TokenStoreError.Code.misconfigured` naming the
    ///   problem (also an entry of a host list that is empty, an unbracketed IPv6 address,
    ///   or has a port that is not a number from 1 to 65535); the message never contains
    ///   the password.
    public init(url: String, options: TokenStoreOptions = TokenStoreOptions()) throws {
        let redacted = Self.redact(url)
        func misconfigured(_ message: String) -> TokenStoreError {
            TokenStoreError(.misconfigured, store: redacted, operation: "open", message: message)
        }
        var own: [String: String] = [:]
        let libpqText: String
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            // Several hosts (`h1:5432,h2:5433`, libpq's failover list) are checked here and
            // stand aside while `URLComponents`, which refuses them, parses the rest.
            let split = PostgresHostList.split(url)
            if let split { _ = try PostgresHostList(split.hosts, misconfigured: misconfigured) }
            guard var components = URLComponents(string: split.map { String($0.head) + "localhost" + $0.tail } ?? url) else {
                throw misconfigured("not a valid URL; expected postgres://user:password@host:port/dbname")
            }
            var passed: [URLQueryItem] = []
            for item in components.percentEncodedQueryItems ?? [] {
                if Self.driverParameters[item.name] != nil {
                    own[item.name] = item.value.flatMap { $0.removingPercentEncoding } ?? ""
                } else {
                    passed.append(item)
                }
            }
            components.percentEncodedQueryItems = passed.isEmpty ? nil : passed
            if let split {
                // The host list back in the stand-in's place, the rest as URLComponents wrote it.
                libpqText = String(split.head + split.hosts) + components.percentEncodedPath
                    + (components.percentEncodedQuery.map { "?" + $0 } ?? "") + (components.percentEncodedFragment.map { "#" + $0 } ?? "")
            } else {
                libpqText = components.string ?? url
            }
        } else if url.contains("=") {
            var kept: [String] = []
            for (key, value) in try Self.keywordPairs(url, misconfigured: misconfigured) {
                if Self.driverParameters[key] != nil { own[key] = value } else { kept.append("\(key)='\(Self.quoted(value))'") }
            }
            libpqText = kept.joined(separator: " ")
        } else {
            throw misconfigured("expected a postgres:// URL or a libpq keyword string such as 'host=... dbname=...'")
        }

        // Let libpq check its own parameters now, so a typo fails at open with its message.
        var errorText: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(libpqText, &errorText) else {
            let message = errorText.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "invalid"
            if let errorText { PQfreemem(errorText) }
            throw misconfigured("libpq rejected the connection string: \(message) (driver parameters: "
                + Self.driverParameters.keys.sorted().joined(separator: ", ") + ")")
        }
        PQconninfoFree(parsed)

        self.init(connectionParameters: [("dbname", libpqText)], displayName: redacted, clock: options.clock, logger: options.logger)
        self.migrateSchemaOnOpen = options.migrateSchemaOnOpen
        if let schema = own["schema"] { self.schema = schema }
        let store = redacted
        if let value = try ConnectionLimits.count("pool_min", in: own, range: 0...ConnectionLimits.maxConnectionsRange.upperBound, store: store) {
            minConnections = value
        }
        if let value = try ConnectionLimits.count("pool_max", in: own, range: ConnectionLimits.maxConnectionsRange, store: store) {
            maxConnections = value
        }
        if let value = try ConnectionLimits.seconds("pool_idle_timeout", in: own, store: store) { idleTimeout = value }
        if let value = try ConnectionLimits.seconds("pool_acquire_timeout", in: own, store: store) { acquireTimeout = value }
        if let value = try ConnectionLimits.seconds("connect_timeout", in: own, store: store) { connectTimeout = value }
        let oldName = Self.deprecatedOperationTimeout
        if let value = try ConnectionLimits.seconds(oldName, in: own, store: store) {
            options.logger.warning(
                "\(oldName) is the old name of operation_timeout and will stop being read in the next release; use operation_timeout",
                metadata: ["store": "\(store)"])
            operationTimeout = value
        }
        if let value = try ConnectionLimits.seconds("operation_timeout", in: own, store: store) { operationTimeout = value }
        if let value = try ReplyWait.parse(own, store: store) { replyWait = value }
        try validate()
    }

    /// The URL or keyword string with passwords masked. A keyword string is rebuilt from
    /// its parsed pairs; one that does not parse is not echoed at all (a malformed quote
    /// could otherwise reveal the rest of a password).
    static func redact(_ text: String) -> String {
        if text.contains("://") { return StoreURLRedaction.redact(text) }
        let unparsed = TokenStoreError(.misconfigured, store: "", operation: "", message: "")
        guard let pairs = try? keywordPairs(text, misconfigured: { _ in unparsed }) else {
            return "postgres:(malformed keyword string)"
        }
        return pairs.map { key, value in
            key.lowercased().contains("password") ? "\(key)=***" : "\(key)=\(value)"
        }.joined(separator: " ")
    }

    /// `key=value` pairs of a libpq keyword string (values may be single-quoted with `\` escapes).
    static func keywordPairs(_ text: String, misconfigured: (String) -> TokenStoreError) throws -> [(String, String)] {
        var pairs: [(String, String)] = []
        var characters = Array(text)[...]
        func skipSpaces() { while let first = characters.first, first.isWhitespace { characters.removeFirst() } }
        while true {
            skipSpaces()
            guard !characters.isEmpty else { return pairs }
            var key = ""
            while let first = characters.first, first != "=", !first.isWhitespace { key.append(characters.removeFirst()) }
            skipSpaces()
            guard characters.first == "=", !key.isEmpty else { throw misconfigured("expected key=value in the connection string") }
            characters.removeFirst()
            skipSpaces()
            var value = ""
            if characters.first == "'" {
                characters.removeFirst()
                var closed = false
                while let character = characters.popFirst() {
                    if character == "\\", let next = characters.popFirst() {
                        value.append(next)
                    } else if character == "'" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { throw misconfigured("unterminated quoted value for \(key)") }
            } else {
                while let first = characters.first, !first.isWhitespace { value.append(characters.removeFirst()) }
            }
            pairs.append((key, value))
        }
    }

    private static func quoted(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
    }
}
