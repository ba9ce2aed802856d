import Foundation
import TokenStoreKit

/// The host list of a multi-host URL, `postgres://user:pw@h1:5432,h2:5433/db`.
///
/// libpq takes several `host[:port]` entries, comma-separated, in a URL's authority and
/// tries them in order (with `target_session_attrs`, until one has the kind of session
/// asked for). Foundation's `URLComponents` refuses such an authority, so the store checks
/// the list here and hands it to libpq as written; the rest of the URL is parsed as usual.
/// The CLI's same-store check reads host lists through it too.
package struct PostgresHostList {
    /// One entry as written: `host` still percent-encoded (libpq decodes it; `%2F...` is a
    /// unix socket directory), an IPv6 address without its brackets.
    package struct Host: Equatable {
        package var host: String
        package var port: Int?
    }

    package let hosts: [Host]

    /// A URL cut around its host list: `head` is `scheme://` and the user-info part with
    /// its `@`, `tail` the path, query and fragment.
    package struct Split {
        package var head: Substring
        package var hosts: Substring
        package var tail: Substring
    }

    /// Cuts `url` around its host list, or `nil` when it names at most one host (a single
    /// host is left to `URLComponents`). The authority ends where `StoreURLRedaction` ends
    /// it, so what is checked here is what the redaction treats as the host part.
    package static func split(_ url: String) -> Split? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let authorityEnd = url[schemeEnd.upperBound...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? url.endIndex
        let authority = url[schemeEnd.upperBound..<authorityEnd]
        let hostStart = authority.lastIndex(of: "@").map { url.index(after: $0) } ?? authority.startIndex
        let hosts = url[hostStart..<authorityEnd]
        guard hosts.contains(",") else { return nil }
        return Split(head: url[..<hostStart], hosts: hosts, tail: url[authorityEnd...])
    }

    /// Checks every entry of `text` (`host`, `host:port`, `[IPv6]`, `[IPv6]:port`).
    ///
    /// - Throws: what `misconfigured` makes of a message naming the entry (by position and
    ///   text; host names are not secrets): an empty entry, an unbracketed IPv6 address, a
    ///   character no host name has, a port that is empty, not a number or not in 1...65535.
    package init(_ text: Substring, misconfigured: (String) -> TokenStoreError) throws {
        var hosts: [Host] = []
        for (offset, entry) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let name = "host \(offset + 1) of the URL's host list"
            guard !entry.isEmpty else {
                throw misconfigured("\(name) is empty; expected host:port entries separated by commas, e.g. h1:5432,h2:5432")
            }
            let host: Substring
            let port: Substring?
            if entry.hasPrefix("[") {
                guard let close = entry.firstIndex(of: "]") else {
                    throw misconfigured("\(name) ('\(entry)') opens a bracket for an IPv6 address but does not close it")
                }
                host = entry[entry.index(after: entry.startIndex)..<close]
                let rest = entry[entry.index(after: close)...]
                guard rest.isEmpty || rest.hasPrefix(":") else {
                    throw misconfigured("\(name) ('\(entry)') has '\(rest)' after its IPv6 address; expected [address]:port")
                }
                port = rest.isEmpty ? nil : rest.dropFirst()
                guard host.contains(":"), host.allSatisfy(Self.isIPv6Character) else {
                    throw misconfigured("\(name) ('\(entry)') is not an IPv6 address in brackets")
                }
            } else {
                let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count <= 2 else {
                    throw misconfigured("\(name) ('\(entry)') has more than one ':'; an IPv6 address goes in brackets, [::1]:5432")
                }
                host = parts[0]
                port = parts.count == 2 ? parts[1] : nil
                guard !host.isEmpty else { throw misconfigured("\(name) ('\(entry)') has a port but no host") }
                guard Self.isHostName(host) else {
                    throw misconfigured("\(name) ('\(entry)') has a character not allowed in a host name (percent-encode a socket path)")
                }
            }
            hosts.append(Host(host: String(host), port: try port.map { try Self.port($0, name: name, misconfigured: misconfigured) }))
        }
        self.hosts = hosts
    }

    private static func port(_ text: Substring, name: String, misconfigured: (String) -> TokenStoreError) throws -> Int {
        guard !text.isEmpty else { throw misconfigured("\(name) has ':' but no port after it") }
        // At most 5 digits are read, so the conversion cannot overflow.
        guard text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(text), (1...65535).contains(port) else {
            throw misconfigured("\(name) has port '\(text.prefix(12))'; a port is a number from 1 to 65535")
        }
        return port
    }

    /// RFC 3986's unreserved characters and percent-encoded octets: what libpq decodes to
    /// a host name, an IPv4 address or a socket directory.
    private static func isHostName(_ text: Substring) -> Bool {
        var rest = text.utf8[...]
        while let byte = rest.popFirst() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                continue
            case UInt8(ascii: "%"):
                guard rest.count >= 2, rest.prefix(2).allSatisfy(isHexDigit) else { return false }
                rest = rest.dropFirst(2)
            default:
                return false
            }
        }
        return true
    }

    private static func isIPv6Character(_ character: Character) -> Bool {
        character == ":" || character == "." || (character.isASCII && character.isHexDigit)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): true
        default: false
        }
    }
}
