import Foundation
import Glibc
import TokenStoreFile
import TokenStoreKit
import TokenStorePostgres
import TokenStoreRedis

/// Which store a URL names, compared without opening it: `migrate` refuses to copy a
/// store onto itself however the two URLs are spelled.
///
/// Normalized: the scheme's case and aliases (`postgresql:`), a SQLite or file path's
/// spelling (relative, `localhost`, percent escapes, `.`/`..`, symbolic links; an existing
/// file or directory by device and inode, which also catches hard links), a PostgreSQL
/// URL's host case, default port, database and `schema` (a host list in any order), a
/// Redis URL's endpoint, database and prefix (a cluster's seed nodes in any order).
/// Parameters that do not change the store (pool sizes, timeouts) are ignored. `memory:` and `sqlite::memory:` stores are private to each open, so they
/// never name the same store (`memory:NAME` is shared in-process by its name).
enum StoreIdentity {
    /// The identity of the store `url` names, or `nil` when it names a private one (or
    /// cannot be parsed: opening it will say why).
    static func of(_ url: String, currentDirectory: String = FileManager.default.currentDirectoryPath) -> String? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let scheme = url[..<colon].lowercased()
        switch scheme {
        case "memory":
            var name = String(url[url.index(after: colon)...])
            if name.hasPrefix("//") { name.removeFirst(2) }
            return name.isEmpty ? nil : "memory:" + (name.removingPercentEncoding ?? name)
        case "sqlite":
            return sqlitePath(url).flatMap { fileIdentity($0, currentDirectory: currentDirectory) }
        case "file":
            return (try? FileTokenStore.directory(fromURL: url)).flatMap { fileIdentity($0, currentDirectory: currentDirectory) }
        case "postgres", "postgresql":
            return postgresIdentity(url)
        case "redis", "redis+unix", "unix":
            guard let configuration = try? RedisTokenStore.Configuration(url: url) else { return nil }
            return "redis:\(configuration.endpoint.description.lowercased())/\(configuration.database)/\(configuration.prefix)"
        case "redis+cluster":
            // The same seed nodes in any order name the same cluster (other seeds of it
            // cannot be told apart without asking it).
            guard let configuration = try? RedisTokenStore.Configuration(url: url) else { return nil }
            let seeds = configuration.seeds.map { $0.description.lowercased() }.sorted().joined(separator: ",")
            return "redis+cluster:\(seeds)/\(configuration.prefix)"
        default:
            return url
        }
    }

    /// Whether `a` and `b` name the same store.
    static func same(_ a: String, _ b: String) -> Bool {
        guard let first = of(a), let second = of(b) else { return false }
        return first == second
    }

    /// The path of a `sqlite:` URL, as the SQLite driver reads it; `nil` for `:memory:`.
    static func sqlitePath(_ url: String) -> String? {
        var rest = Substring(url.dropFirst("sqlite:".count))
        if let mark = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<mark] }
        guard rest != ":memory:" else { return nil }
        if rest.hasPrefix("//") {
            let authority = rest.dropFirst(2)
            let slash = authority.firstIndex(of: "/") ?? authority.endIndex
            rest = authority[slash...]
        }
        guard let path = String(rest).removingPercentEncoding, !path.isEmpty else { return nil }
        return path
    }

    /// An existing file or directory by device and inode; otherwise its absolute path with
    /// `.`, `..` and repeated slashes removed and symbolic links of its existing parents resolved.
    static func fileIdentity(_ path: String, currentDirectory: String) -> String {
        let absolute = path.hasPrefix("/") ? path : currentDirectory + "/" + path
        let standardized = URL(fileURLWithPath: absolute).standardizedFileURL
        var info = stat()
        if stat(standardized.path, &info) == 0 { return "inode:\(info.st_dev):\(info.st_ino)" }
        return "path:" + standardized.resolvingSymlinksInPath().path
    }

    /// host, port, database, user and schema of a PostgreSQL URL or keyword string. A host
    /// list (`h1:5432,h2:5433`, libpq's multi-host form, or `host=h1,h2 port=...`) names
    /// the same store in any order.
    static func postgresIdentity(_ url: String) -> String? {
        var fields: [String: String] = [:]
        if url.contains("://") {
            // Foundation refuses a host list: parse the URL with one placeholder host, and
            // read the list with the driver's own parser.
            var text = url
            var hostList: PostgresHostList?
            if let split = PostgresHostList.split(url) {
                hostList = try? PostgresHostList(split.hosts) { TokenStoreError(.misconfigured, store: "", operation: "open", message: $0) }
                guard hostList != nil else { return nil }
                text = split.head + "localhost" + split.tail
            }
            guard let components = URLComponents(string: text) else { return nil }
            if let hostList {
                fields["host"] = hostList.hosts.map(\.host).joined(separator: ",")
                fields["port"] = hostList.hosts.map { $0.port.map(String.init) ?? "" }.joined(separator: ",")
            } else {
                fields["host"] = components.host
                fields["port"] = components.port.map(String.init)
            }
            fields["user"] = components.user
            let database = components.path.drop { $0 == "/" }
            if !database.isEmpty { fields["dbname"] = String(database) }
            for item in components.queryItems ?? [] { fields[item.name] = item.value ?? "" }
        } else {
            for pair in url.split(whereSeparator: \.isWhitespace) {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                fields[String(parts[0])] = String(parts[1]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            }
        }
        let user = fields["user"] ?? ""
        let database = fields["dbname"] ?? user
        let schema = fields["schema"] ?? "tokenstore"
        return "postgres:\(endpoints(hosts: fields["host"] ?? fields["hostaddr"] ?? "", ports: fields["port"] ?? ""))/\(database)?user=\(user)&schema=\(schema)"
    }

    /// `host:port` of every server a host list and port list name (libpq: one port applies
    /// to every host; an empty one is 5432), lowercased and sorted.
    static func endpoints(hosts: String, ports: String) -> String {
        let names = hosts.split(separator: ",", omittingEmptySubsequences: false).map { $0.isEmpty ? "localhost" : $0.lowercased() }
        let portList = ports.split(separator: ",", omittingEmptySubsequences: false).map { $0.isEmpty ? "5432" : String($0) }
        return names.enumerated().map { index, name in
            let port = portList.count == 1 ? portList[0] : (index < portList.count ? portList[index] : "5432")
            return "\(name):\(port)"
        }.sorted().joined(separator: ",")
    }
}
