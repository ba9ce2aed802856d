import TokenStoreKit

/// The client encoding is always UTF8: Swift strings are UTF-8, and the server converts
/// what it receives from the client encoding, so any other setting would store mojibake
/// that reads back right only through that same setting.
///
/// A `client_encoding` other than UTF8 in the connection parameters (or in the URL or
/// keyword string given as `dbname`) is refused at open. Anything else that could pick
/// another encoding (`PGCLIENTENCODING`, `options=-c client_encoding=...`, a role's or a
/// database's default) is overridden: the store passes `client_encoding=UTF8` last, sets
/// it again once connected, and checks what the server reports.
enum PostgresClientEncoding {
    static let parameter = ("client_encoding", "UTF8")
    static let setStatement = "SET client_encoding = 'UTF8'"

    /// Whether `name` is one of PostgreSQL's spellings of UTF-8 (`UTF8`, `utf-8`, `unicode`).
    static func isUTF8(_ name: String) -> Bool {
        let cleaned = String(name.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) })
        return cleaned == "utf8" || cleaned == "unicode"
    }

    /// The first non-UTF8 `client_encoding` among `parameters`, looking inside a `dbname`
    /// that libpq would expand (a URL or keyword string).
    static func foreignEncoding(in parameters: [(String, String)]) -> String? {
        PostgresConnectionParameters.flattened(parameters).first { $0.0 == "client_encoding" && !isUTF8($0.1) }?.1
    }

    /// The error for a store configured with another client encoding.
    static func refused(_ encoding: String, store: String) -> TokenStoreError {
        TokenStoreError(
            .misconfigured, store: store, operation: "open",
            message: "client_encoding=\(encoding) is not supported: the store always talks UTF8 to the server "
                + "(tokens are Unicode text); remove client_encoding from the store URL")
    }
}
