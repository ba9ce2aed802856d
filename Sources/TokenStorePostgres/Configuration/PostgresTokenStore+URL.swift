import CTokenStoreLibPQ
import Foundation
import TokenStoreKit

extension PostgresTokenStore.Configuration {
    /// Query parameters this driver reads itself; everything else goes to libpq.
    static let driverParameters: [String: String] = [
        "schema": "the PostgreSQL schema for the tables (default tokenstore)",
        "pool_min": "connections kept open (default 0)",
        "pool_max": "most connections open at once (default 8)",
        "pool_idle_timeout": "seconds an idle connection stays open (default 60)",
        "pool_acquire_timeout": "seconds a call waits for a free connection (default 5)",
        "statement_timeout": "seconds one statement may run (default 10)",
    ]

    /// Parses a store URL or a libpq keyword string.
    ///
    /// - `postgres://user:password@host:port/dbname?sslmode=require&pool_max=16`
    /// - `postgresql://user@%2Fvar%2Frun%2Fpostgresql/dbname` or `?host=/var/run/postgresql` (unix socket)
    /// - `host=db.internal dbname=app user=app pool_max=16` (keyword string)
    ///
    /// The driver's own parameters (`driverParameters`: `schema`, `pool_min`, `pool_max`,
    /// `pool_idle_timeout`, `pool_acquire_timeout`, `statement_timeout`) are taken out; the
    /// rest (`sslmode`, `sslrootcert`, `connect_timeout`, `application_name`, ...) go to libpq,
    /// which validates them.
    ///
    /// - Throws: `TokenStoreError` with `TokenStoreError.Code.misconfigured` naming the
    ///   problem; the message never contains the password.
    public init(url: String, options: TokenStoreOptions = TokenStoreOptions()) throws {
        let redacted = Self.redact(url)
        func misconfigured(_ message: String) -> TokenStoreError {
            TokenStoreError(.misconfigured, store: redacted, operation: "open", message: message)
        }
        var own: [String: String] = [:]
        let libpqText: String
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard var components = URLComponents(string: url) else {
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
            libpqText = components.string ?? url
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
        if let schema = own["schema"] {
            guard !schema.isEmpty, schema.utf8.count <= 63, !schema.contains("\u{0}") else {
                throw misconfigured("schema must be 1 to 63 bytes")
            }
            self.schema = schema
        }
        func seconds(_ name: String) throws -> Duration? {
            guard let text = own[name] else { return nil }
            guard let value = Double(text), value > 0, value < 86_400 * 365 else {
                throw misconfigured("\(name) must be a positive number of seconds, got '\(text)'")
            }
            return .milliseconds(Int64(value * 1000))
        }
        func count(_ name: String, minimum: Int) throws -> Int? {
            guard let text = own[name] else { return nil }
            guard let value = Int(text), value >= minimum, value <= 10_000 else {
                throw misconfigured("\(name) must be a whole number from \(minimum) to 10000, got '\(text)'")
            }
            return value
        }
        if let value = try count("pool_min", minimum: 0) { minConnections = value }
        if let value = try count("pool_max", minimum: 1) { maxConnections = value }
        guard minConnections <= maxConnections else { throw misconfigured("pool_min must not exceed pool_max") }
        if let value = try seconds("pool_idle_timeout") { idleTimeout = value }
        if let value = try seconds("pool_acquire_timeout") { acquireTimeout = value }
        if let value = try seconds("statement_timeout") { statementTimeout = value }
        // libpq's connect_timeout (seconds) also bounds our non-blocking connect.
        if let libpqTimeout = Self.connectTimeoutSeconds(in: libpqText) { connectTimeout = .seconds(libpqTimeout) }
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

    private static func connectTimeoutSeconds(in conninfo: String) -> Int64? {
        var errorText: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorText) else {
            if let errorText { PQfreemem(errorText) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "connect_timeout", let value = option.pointee.val {
                return Int64(String(cString: value)).flatMap { $0 > 0 ? $0 : nil }
            }
            option += 1
        }
        return nil
    }
}
