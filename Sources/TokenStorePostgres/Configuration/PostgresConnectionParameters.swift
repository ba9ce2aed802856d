import CTokenStoreLibPQ

/// What libpq reads from a store's connection parameters, looking inside the `dbname` it
/// expands (a URL or keyword string), and the defaults the driver adds to them.
enum PostgresConnectionParameters {
    /// Every keyword/value pair in the order libpq processes them: the first `dbname` that
    /// is a URL or keyword string is replaced by the fields it sets. Where a keyword
    /// repeats, libpq keeps the last value.
    static func flattened(_ parameters: [(String, String)]) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var expanded = false
        for (key, value) in parameters {
            if key == "dbname", !expanded, value.contains("=") || value.contains("://") {
                expanded = true
                pairs += fields(ofConnectionString: value)
            } else {
                pairs.append((key, value))
            }
        }
        return pairs
    }

    /// The fields a libpq connection string sets (none when libpq cannot parse it: opening
    /// the store then fails with libpq's own message).
    private static func fields(ofConnectionString text: String) -> [(String, String)] {
        var errorText: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &errorText) else {
            if let errorText { PQfreemem(errorText) }
            return []
        }
        defer { PQconninfoFree(options) }
        var fields: [(String, String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { fields.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        return fields
    }

    /// The `tcp_user_timeout` the driver sets when the parameters list several hosts and set
    /// none: at most 2 s, at most half of `connectTimeout`.
    ///
    /// libpq tries a host list in order, but the driver's connects are non-blocking, where
    /// libpq's per-host `connect_timeout` does not apply: a first host that drops packets (a
    /// machine gone from the network, the usual state of a failed primary) would hold every
    /// connection attempt until the driver's `connect_timeout` ends it, so the store could
    /// never reach the promoted standby. With this timeout the kernel gives up on the silent
    /// host (at its first SYN retransmission, about 1 s, or at the timeout) and libpq moves
    /// on. It also closes an open connection whose sent data stays unacknowledged that long
    /// (its call fails `unavailable`). A URL that sets `tcp_user_timeout` (0: the system's
    /// default) keeps its own. Placed before the user's parameters: libpq keeps the last
    /// value of a keyword.
    static func silentHostTimeout(for parameters: [(String, String)], connectTimeout: Duration) -> (String, String)? {
        var hosts: [String: String] = [:]
        for (key, value) in flattened(parameters) {
            if key == "tcp_user_timeout" { return nil }
            if key == "host" || key == "hostaddr" { hosts[key] = value }
        }
        guard hosts.values.contains(where: { $0.contains(",") }) else { return nil }
        let halfConnect = connectTimeout / 2
        let timeout = min(.seconds(2), halfConnect)
        let milliseconds = max(1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return ("tcp_user_timeout", String(milliseconds))
    }
}
