/// What a cluster's `CLUSTER SLOTS` reply says: which primary serves which slot ranges
/// (replicas are left out: every call goes to a primary).
struct RedisClusterMap: Equatable, Sendable {
    struct Range: Equatable, Sendable {
        var slots: ClosedRange<Int>
        var primary: RedisTokenStore.Endpoint
    }

    var ranges: [Range]

    /// Parses a `CLUSTER SLOTS` reply: `[[start, end, [host, port, id, ...], replicas...], ...]`.
    /// An empty host (a node that does not know its own address) is `askedHost`, the host
    /// the reply came from; a range with an unknown endpoint (`?`) is left out, so its
    /// slots are looked up again later. `nil` for a reply of another shape.
    init?(slotsReply reply: RedisReply, askedHost: String) {
        guard case .array(let entries) = reply else { return nil }
        var ranges: [Range] = []
        for entry in entries {
            guard case .array(let fields) = entry, fields.count >= 3,
                case .integer(let start) = fields[0], case .integer(let end) = fields[1],
                0 <= start, start <= end, end < Int64(RedisSlot.count),
                case .array(let primary) = fields[2], primary.count >= 2,
                case .bulk(let hostBytes) = primary[0], case .integer(let port) = primary[1]
            else { return nil }
            let host = String(decoding: hostBytes, as: UTF8.self)
            guard host != "?", (1...65535).contains(port) else { continue }
            ranges.append(Range(slots: Int(start)...Int(end), primary: .tcp(host: host.isEmpty ? askedHost : host, port: Int(port))))
        }
        self.ranges = ranges
    }
}

/// A cluster's answer that a call went to the wrong node, or cannot run right now.
enum RedisRedirect: Equatable, Sendable {
    /// `MOVED slot host:port`: the slot is served by another node for good.
    case moved(slot: UInt16, to: RedisTokenStore.Endpoint)
    /// `ASK slot host:port`: the slot is being migrated and the keys are on the target;
    /// send `ASKING` first, leave the map alone.
    case ask(slot: UInt16, to: RedisTokenStore.Endpoint)
    /// `TRYAGAIN`: a multi-key command during a migration, keys split between the nodes.
    case tryAgain
    /// `CLUSTERDOWN`: the cluster cannot serve the slot (a failover under way).
    case clusterDown

    /// Which of a part's redirects to follow: `MOVED` (the map is wrong), then `TRYAGAIN`
    /// (inside a transaction a queued command may say `ASK` while `EXEC` says the keys are
    /// split between the nodes: only waiting helps), then `CLUSTERDOWN`, then `ASK`.
    var precedence: Int {
        switch self {
        case .moved: return 3
        case .tryAgain: return 2
        case .clusterDown: return 1
        case .ask: return 0
        }
    }

    /// Whether the error reply starting at `bytes` (after its `-`) is a redirect.
    static func isRedirect(_ text: UnsafeRawBufferPointer) -> Bool {
        for word in words where text.count >= word.count && text.starts(with: word) { return true }
        return false
    }

    private static let words: [[UInt8]] = [Array("MOVED ".utf8), Array("ASK ".utf8), Array("TRYAGAIN".utf8), Array("CLUSTERDOWN".utf8)]

    /// The redirect an error message says, `nil` for any other error. A target without a
    /// host (`MOVED 3999 :6380`, the node's address unknown to the cluster) is on
    /// `currentHost`, the node that answered.
    init?(message: String, currentHost: String) {
        let parts = message.split(separator: " ", omittingEmptySubsequences: true)
        guard let word = parts.first else { return nil }
        switch word {
        case "TRYAGAIN": self = .tryAgain
        case "CLUSTERDOWN": self = .clusterDown
        case "MOVED", "ASK":
            // The address is `ip:port`, an IPv6 ip unbracketed: the port follows the last colon.
            guard parts.count >= 3, let slot = UInt16(parts[1]), Int(slot) < RedisSlot.count,
                let colon = parts[2].lastIndex(of: ":"), let port = Int(parts[2][parts[2].index(after: colon)...]),
                (1...65535).contains(port)
            else { return nil }
            var host = String(parts[2][..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            let target = RedisTokenStore.Endpoint.tcp(host: host.isEmpty ? currentHost : host, port: port)
            self = word == "MOVED" ? .moved(slot: slot, to: target) : .ask(slot: slot, to: target)
        default: return nil
        }
    }
}
