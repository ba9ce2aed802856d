import Foundation
import Testing
import TokenStoreKit

@testable import TokenStorePostgres

@Suite("PostgreSQL URL and keyword parsing", .inProcessTimeLimit)
struct PostgresConfigurationTests {
    @Test("a URL's driver parameters are taken out, libpq's passed on, the password hidden")
    func url() throws {
        let configuration = try PostgresTokenStore.Configuration(
            url: "postgres://app:s3cr%40t@db.internal:6543/tokens?sslmode=disable&application_name=web&pool_max=16&pool_min=2&pool_idle_timeout=30&pool_acquire_timeout=1.5&statement_timeout=2&schema=auth")
        #expect(configuration.maxConnections == 16)
        #expect(configuration.minConnections == 2)
        #expect(configuration.idleTimeout == .seconds(30))
        #expect(configuration.acquireTimeout == .milliseconds(1500))
        #expect(configuration.statementTimeout == .seconds(2))
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
            "postgres://app:pw@host/db?statement_timeout=-1",
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

    @Test("the registry opens postgres: and postgresql: through the driver")
    func driverSchemes() {
        #expect(PostgresTokenStore.driver.schemes == ["postgres", "postgresql"])
    }
}
