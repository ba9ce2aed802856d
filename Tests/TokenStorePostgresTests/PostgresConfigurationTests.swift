import CTokenStoreLibPQ
import Foundation
import Logging
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStorePostgres

@Suite("PostgreSQL URL and keyword parsing", .inProcessTimeLimit)
struct PostgresConfigurationTests {
    @Test("a URL's driver parameters are taken out, libpq's passed on, the password hidden")
    func url() throws {
        let configuration = try PostgresTokenStore.Configuration(
            url: "postgres://app:s3cr%40t@db.internal:6543/tokens?sslmode=disable&application_name=web&pool_max=16&pool_min=2&pool_idle_timeout=30&pool_acquire_timeout=1.5&operation_timeout=2&schema=auth")
        #expect(configuration.maxConnections == 16)
        #expect(configuration.minConnections == 2)
        #expect(configuration.idleTimeout == .seconds(30))
        #expect(configuration.acquireTimeout == .milliseconds(1500))
        #expect(configuration.operationTimeout == .seconds(2))
        #expect(configuration.schema == "auth")
        let conninfo = try #require(configuration.connectionParameters.first { $0.0 == "dbname" }?.1)
        #expect(conninfo == "postgres://app:s3cr%40t@db.internal:6543/tokens?sslmode=disable&application_name=web")
        #expect(!configuration.displayName.contains("s3cr"))
        #expect(configuration.displayName.contains("app:***@db.internal"))
    }

    @Test("keyword strings, quoted values and a unix socket host")
    func keywords() throws {
        let configuration = try PostgresTokenStore.Configuration(
            url: "host=/var/run/postgresql dbname=tokens user=app password='it\\'s x' pool_max=3 connect_timeout=4")
        #expect(configuration.maxConnections == 3)
        #expect(configuration.connectTimeout == .seconds(4))
        #expect(!configuration.displayName.contains("it's x"))
        #expect(configuration.displayName.contains("password=***"))
        let conninfo = try #require(configuration.connectionParameters.first { $0.0 == "dbname" }?.1)
        #expect(conninfo.contains("host='/var/run/postgresql'"))
        #expect(!conninfo.contains("pool_max"))
    }

    @Test("bad input gives misconfigured naming the problem, never the password",
        arguments: [
            "postgres://app:pw@host/db?pool_max=0",
            "postgres://app:pw@host/db?pool_max=lots",
            "postgres://app:pw@host/db?pool_min=5&pool_max=2",
            "postgres://app:pw@host/db?operation_timeout=-1",
            "postgres://app:pw@host/db?no_such_option=1",
            "postgres://app:pw@host/db?schema=",
            "host=x password='pw",
            "just words",
            "postgres://app:pw@[::1/db",
        ])
    func badInput(url: String) {
        do {
            _ = try PostgresTokenStore.Configuration(url: url)
            Issue.record("expected an error for \(url)")
        } catch let error as TokenStoreError {
            #expect(error.code == .misconfigured)
            #expect(!error.description.contains("pw"), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("reply_wait is adaptive by default, park or spin when given, and anything else is refused by name")
    func replyWait() throws {
        #expect(try PostgresTokenStore.Configuration(url: "postgres://db/x").replyWait == .adaptive)
        #expect(try PostgresTokenStore.Configuration(url: "postgres://db/x?reply_wait=spin").replyWait == .spin)
        #expect(try PostgresTokenStore.Configuration(url: "host=db reply_wait=PARK").replyWait == .park)
        let conninfo = try PostgresTokenStore.Configuration(url: "postgres://db/x?reply_wait=spin").connectionParameters.first?.1
        #expect(conninfo == "postgres://db/x")
        let error = #expect(throws: TokenStoreError.self) {
            try PostgresTokenStore.Configuration(url: "postgres://u:hunter2@db/x?reply_wait=busy")
        }
        #expect(error?.code == .misconfigured)
        #expect(error?.message == "reply_wait must be one of adaptive, park, spin, got 'busy'")
        #expect(error.map { !"\($0)".contains("hunter2") } == true)
    }

    @Test("operation_timeout sets the per-call timeout; nothing is logged")
    func operationTimeout() throws {
        let warnings = LogCapture()
        let configuration = try PostgresTokenStore.Configuration(
            url: "postgres://app:pw@host/db?operation_timeout=2.5", options: TokenStoreOptions(logger: warnings.logger()))
        #expect(configuration.operationTimeout == .milliseconds(2500))
        #expect(warnings.messages(atLeast: .warning).isEmpty)
        let conninfo = try #require(configuration.connectionParameters.first { $0.0 == "dbname" }?.1)
        #expect(!conninfo.contains("timeout"))
    }

    @Test("the old name statement_timeout is still read, with a warning naming operation_timeout")
    func oldOperationTimeoutName() throws {
        let warnings = LogCapture()
        let configuration = try PostgresTokenStore.Configuration(
            url: "host=db dbname=app statement_timeout=3", options: TokenStoreOptions(logger: warnings.logger()))
        #expect(configuration.operationTimeout == .seconds(3))
        #expect(warnings.messages(atLeast: .warning).count == 1)
        #expect(warnings.messages(atLeast: .warning).first?.contains("statement_timeout") == true)
        #expect(warnings.messages(atLeast: .warning).first?.contains("operation_timeout") == true)
        let conninfo = try #require(configuration.connectionParameters.first { $0.0 == "dbname" }?.1)
        #expect(!conninfo.contains("statement_timeout"))
    }

    @Test("a bad pool size or timeout gets ConnectionLimits' message",
        arguments: [
            ("operation_timeout", "0"), ("operation_timeout", "soon"), ("operation_timeout", "3601"),
            ("statement_timeout", "-1"), ("connect_timeout", "0"), ("pool_acquire_timeout", "nan"),
            ("pool_idle_timeout", "1e9"), ("pool_max", "0"), ("pool_max", "10001"), ("pool_min", "-1"),
        ])
    func limitMessages(name: String, value: String) throws {
        let expected = Self.limitsError(name: name, value: value)
        #expect(expected != nil, "ConnectionLimits accepts \(name)=\(value)")
        do {
            _ = try PostgresTokenStore.Configuration(url: "postgres://app:pw@host/db?\(name)=\(value)")
            Issue.record("expected an error for \(name)=\(value)")
        } catch let error as TokenStoreError {
            #expect(error.code == .misconfigured)
            #expect(error.message == expected?.message)
            #expect(!error.description.contains("pw"), "\(error)")
        }
    }

    @Test("values set in Swift get the same check at open, before any connect: no trap on .seconds(.max)")
    func limitsSetInSwift() async throws {
        var configuration = try PostgresTokenStore.Configuration(url: "postgres://app:pw@127.0.0.1:1/db")
        configuration.operationTimeout = .seconds(Int64.max)
        let timeout = await #expect(throws: TokenStoreError.self) { _ = try await PostgresTokenStore(configuration: configuration) }
        #expect(timeout?.code == .misconfigured)
        #expect(timeout?.message.hasPrefix("operation_timeout must be above 0") == true)
        configuration.operationTimeout = .seconds(1)
        configuration.minConnections = 9
        let pool = await #expect(throws: TokenStoreError.self) { _ = try await PostgresTokenStore(configuration: configuration) }
        #expect(pool?.code == .misconfigured)
        #expect(pool?.message.hasPrefix("pool_min must be between 0 and pool_max") == true)
    }

    /// The error ``ConnectionLimits`` gives for `name=value`, as a URL parameter.
    static func limitsError(name: String, value: String) -> TokenStoreError? {
        let parameters = [name: value]
        do {
            if name.hasPrefix("pool_m") {
                let range = name == "pool_max" ? ConnectionLimits.maxConnectionsRange : 0...ConnectionLimits.maxConnectionsRange.upperBound
                _ = try ConnectionLimits.count(name, in: parameters, range: range, store: "s")
            } else {
                _ = try ConnectionLimits.seconds(name, in: parameters, store: "s")
            }
            return nil
        } catch {
            return error
        }
    }

    @Test("a URL with several hosts goes to libpq as written, driver parameters taken out, the password hidden")
    func multiHostURL() throws {
        let url = "postgres://app:s3cr%40t@h1.internal:5432,h2.internal:5433,[::1]:5434,10.0.0.4/tokens"
            + "?target_session_attrs=read-write&pool_max=6&operation_timeout=3&connect_timeout=2"
        let configuration = try PostgresTokenStore.Configuration(url: url)
        #expect(configuration.maxConnections == 6)
        #expect(configuration.operationTimeout == .seconds(3))
        #expect(configuration.connectTimeout == .seconds(2))
        let conninfo = try #require(configuration.connectionParameters.first { $0.0 == "dbname" }?.1)
        #expect(conninfo == "postgres://app:s3cr%40t@h1.internal:5432,h2.internal:5433,[::1]:5434,10.0.0.4/tokens?target_session_attrs=read-write")
        // libpq reads it as its keyword form: one host and one port per entry.
        #expect(Self.libpqValues(conninfo, ["host", "port", "user", "password", "dbname", "target_session_attrs"]) == [
            "h1.internal,h2.internal,::1,10.0.0.4", "5432,5433,5434,", "app", "s3cr@t", "tokens", "read-write",
        ])
        #expect(!configuration.displayName.contains("s3cr"))
        #expect(configuration.displayName.hasPrefix("postgres://app:***@h1.internal:5432,h2.internal:5433,"))

        let hosts = try PostgresHostList("h1:5432,[::1],%2Ftmp%2Fpg:6", misconfigured: { TokenStoreError(.misconfigured, store: "s", operation: "o", message: $0) })
        #expect(hosts.hosts == [.init(host: "h1", port: 5432), .init(host: "::1", port: nil), .init(host: "%2Ftmp%2Fpg", port: 6)])
    }

    @Test("a host list gets tcp_user_timeout (2 s, at most half the connect timeout) unless its parameters set one")
    func silentHostTimeoutDefault() throws {
        func timeout(_ url: String) throws -> String? {
            let configuration = try PostgresTokenStore.Configuration(url: url)
            return PostgresConnectionParameters.silentHostTimeout(
                for: configuration.connectionParameters, connectTimeout: configuration.connectTimeout)?.1
        }
        #expect(try timeout("postgres://u:p@h1:5432,h2:5433/db?target_session_attrs=read-write") == "2000")
        #expect(try timeout("postgres://u:p@h1,h2/db?connect_timeout=2") == "1000")
        #expect(try timeout("host=h1,h2 port=5432,5433 password=pw") == "2000")
        #expect(try timeout("hostaddr=10.0.0.1,10.0.0.2 dbname=db") == "2000")
        #expect(try timeout("postgres://u:p@h1,h2/db?tcp_user_timeout=300") == nil)
        #expect(try timeout("postgres://u:p@h1,h2/db?tcp_user_timeout=0") == nil, "0 is the system's default, chosen")
        #expect(try timeout("postgres://u:p@h1:5432/db") == nil)
        #expect(try timeout("host=h1 dbname=db") == nil)
        let pairs = [("host", "h1,h2"), ("tcp_user_timeout", "500")]
        #expect(PostgresConnectionParameters.silentHostTimeout(for: pairs, connectTimeout: .seconds(10)) == nil)
        #expect(PostgresConnectionParameters.silentHostTimeout(for: [("host", "h1,h2")], connectTimeout: .seconds(10))?.1 == "2000")
    }

    @Test("several hosts without a path or query, postgresql: scheme, keyword form, and a lone host with ',' in its password")
    func multiHostEdges() throws {
        let bare = try PostgresTokenStore.Configuration(url: "postgresql://h1,h2:6000")
        #expect(bare.connectionParameters.first?.1 == "postgresql://h1,h2:6000")
        #expect(Self.libpqValues("postgresql://h1,h2:6000", ["host", "port"]) == ["h1,h2", ",6000"])
        let onlyDriver = try PostgresTokenStore.Configuration(url: "postgres://u@h1,h2/db?pool_max=2")
        #expect(onlyDriver.connectionParameters.first?.1 == "postgres://u@h1,h2/db")
        #expect(onlyDriver.maxConnections == 2)
        let keywords = try PostgresTokenStore.Configuration(url: "host=h1,h2 port=5432,5433 password=pw target_session_attrs=read-write pool_max=2")
        let keywordText = try #require(keywords.connectionParameters.first?.1)
        #expect(Self.libpqValues(keywordText, ["host", "port", "target_session_attrs"]) == ["h1,h2", "5432,5433", "read-write"])
        #expect(keywords.maxConnections == 2)
        #expect(!keywords.displayName.contains("pw"))
        let comma = try PostgresTokenStore.Configuration(url: "postgres://u:a,b@h1/db")
        #expect(comma.connectionParameters.first?.1 == "postgres://u:a,b@h1/db")
        #expect(!comma.displayName.contains("a,b"))
    }

    @Test("a bad host list is misconfigured, naming the entry and never the password",
        arguments: [
            ("postgres://app:pw@h1:5432,/db", "host 2 of the URL's host list is empty; expected host:port entries separated by commas, e.g. h1:5432,h2:5432"),
            ("postgres://app:pw@,h2/db", "host 1 of the URL's host list is empty; expected host:port entries separated by commas, e.g. h1:5432,h2:5432"),
            ("postgres://app:pw@h1,,h2/db", "host 2 of the URL's host list is empty; expected host:port entries separated by commas, e.g. h1:5432,h2:5432"),
            ("postgres://app:pw@h1,:5433/db", "host 2 of the URL's host list (':5433') has a port but no host"),
            ("postgres://app:pw@h1,h2:/db", "host 2 of the URL's host list has ':' but no port after it"),
            ("postgres://app:pw@h1,h2:54x/db", "host 2 of the URL's host list has port '54x'; a port is a number from 1 to 65535"),
            ("postgres://app:pw@h1:0,h2/db", "host 1 of the URL's host list has port '0'; a port is a number from 1 to 65535"),
            ("postgres://app:pw@h1:65536,h2/db", "host 1 of the URL's host list has port '65536'; a port is a number from 1 to 65535"),
            ("postgres://app:pw@h1:99999999999999999999,h2/db", "host 1 of the URL's host list has port '999999999999'; a port is a number from 1 to 65535"),
            ("postgres://app:pw@h1,::1/db", "host 2 of the URL's host list ('::1') has more than one ':'; an IPv6 address goes in brackets, [::1]:5432"),
            ("postgres://app:pw@h1,[::1/db", "host 2 of the URL's host list ('[::1') opens a bracket for an IPv6 address but does not close it"),
            ("postgres://app:pw@h1,[::1]5432/db", "host 2 of the URL's host list ('[::1]5432') has '5432' after its IPv6 address; expected [address]:port"),
            ("postgres://app:pw@h1,[db.internal]/db", "host 2 of the URL's host list ('[db.internal]') is not an IPv6 address in brackets"),
            ("postgres://app:pw@h1,[]:5432/db", "host 2 of the URL's host list ('[]:5432') is not an IPv6 address in brackets"),
            ("postgres://app:pw@h1,h 2/db", "host 2 of the URL's host list ('h 2') has a character not allowed in a host name (percent-encode a socket path)"),
            ("postgres://app:pw@h1,%zz/db", "host 2 of the URL's host list ('%zz') has a character not allowed in a host name (percent-encode a socket path)"),
        ])
    func badHostList(url: String, message: String) {
        let error = #expect(throws: TokenStoreError.self) { try PostgresTokenStore.Configuration(url: url) }
        #expect(error?.code == .misconfigured)
        #expect(error?.message == message)
        #expect(error.map { !"\($0)".contains("pw") && !$0.store.contains("pw") } == true, "\(String(describing: error))")
    }

    @Test("SQLSTATE 25006 (a write on a read-only session) is unavailable, saying nothing was written")
    func readOnlySessionMapping() {
        let failure = LibPQFailure(kind: .server, sqlState: "25006", message: "cannot execute DELETE in a read-only transaction")
        let error = PostgresErrorMapping.error(for: failure, store: "s", operation: "takeRequestToken")
        #expect(error.code == .unavailable)
        #expect(error.message.hasPrefix("the server is read-only"))
        #expect(error.message.contains("nothing was written"))
        #expect(error.message.hasSuffix("(SQLSTATE 25006)"))
    }

    @Test("a connect refused by target_session_attrs on every host is unavailable, saying no server accepts writes")
    func noWritableServerMapping() {
        let message = """
            connection to server at "127.0.0.1", port 5432 failed: Connection refused
            \tIs the server running on that host and accepting TCP/IP connections?
            connection to server at "127.0.0.1", port 5433 failed: session is read-only
            """
        let error = PostgresErrorMapping.error(for: LibPQFailure(kind: .connection, message: message), store: "s", operation: "open")
        #expect(error.code == .unavailable)
        #expect(error.message.hasPrefix("no server in the URL accepts writes (target_session_attrs)"))
    }

    /// What libpq's own parser makes of `conninfo`: the value of each keyword (`""` when unset).
    static func libpqValues(_ conninfo: String, _ keywords: [String]) -> [String] {
        var errorText: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorText) else {
            if let errorText { PQfreemem(errorText) }
            return []
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            values[String(cString: keyword)] = option.pointee.val.map { String(cString: $0) } ?? ""
            option += 1
        }
        return keywords.map { values[$0] ?? "" }
    }

    @Test("the registry opens postgres: and postgresql: through the driver")
    func driverSchemes() {
        #expect(PostgresTokenStore.driver.schemes == ["postgres", "postgresql"])
    }
}

