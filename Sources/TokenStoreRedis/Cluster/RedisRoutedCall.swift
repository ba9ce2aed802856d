import TokenStoreKit

/// A cluster call being redirected: its request cut into parts (one command, or one
/// `MULTI`...`EXEC` block, which a node runs or refuses as a whole), and the replies of
/// each part once a node ran it.
struct RedisRoutedCall {
    struct Part {
        /// Where the part's commands are in the request.
        var bytes: Range<Int>
        var commands: Int
        /// A `WAIT` for replicas: it covers the writes sent before it on its connection.
        var waitsForReplicas = false
    }

    let request: [UInt8]
    let commands: Int
    let parts: [Part]
    /// Each part's reply bytes; `nil` while it waits to run.
    private var replies: [[UInt8]?]
    /// Why each waiting part did not run.
    private var redirects: [RedisRedirect?]
    /// For a `WAIT` part sent again after a redirect: the fewest replicas acknowledged on a
    /// node that ran parts of the call before. That `WAIT` covered those parts; the one sent
    /// again covers only the parts that went elsewhere.
    private var waitFloors: [Int64?]

    init(request: [UInt8], commands: Int) {
        self.request = request
        self.commands = commands
        parts = Self.parts(of: request, commands: commands)
        replies = Array(repeating: nil, count: parts.count)
        redirects = Array(repeating: nil, count: parts.count)
        waitFloors = Array(repeating: nil, count: parts.count)
    }

    /// The redirect to follow next: the first waiting part's.
    var pendingRedirect: RedisRedirect? {
        replies.indices.first(where: { replies[$0] == nil }).flatMap { redirects[$0] }
    }

    /// The parts waiting to run, in request order.
    var pendingParts: [Part] { parts.indices.filter { replies[$0] == nil }.map { parts[$0] } }

    /// Every part's replies, in request order (once none waits).
    var replyBytes: [UInt8] { replies.reduce(into: []) { $0 += $1 ?? [] } }

    /// Takes the replies a node gave to the waiting parts (in order): a part with a
    /// redirect among them stays waiting, with that redirect. A `WAIT` after a redirected
    /// part waited on a node that did not run it: it stays waiting too, to run again
    /// right after that part where the part goes, and its final reply is the lowest count
    /// of every node that ran a part of the call.
    mutating func record(_ bytes: [UInt8], from endpoint: RedisTokenStore.Endpoint) {
        var host = ""
        if case .tcp(let name, _) = endpoint { host = name }
        let waiting = replies.indices.filter { replies[$0] == nil }
        var firstRedirect: RedisRedirect?
        // Whether a part ran on this node, this time.
        var ranHere = false
        bytes.withUnsafeBytes { buffer in
            var parser = RESPParser(buffer)
            for index in waiting {
                let start = parser.index
                var redirect: RedisRedirect?
                var last = RedisReply.null
                for _ in 0..<parts[index].commands {
                    last = parser.reply()
                    if case .error(let message) = last, let found = RedisRedirect(message: message, currentHost: host),
                        redirect.map({ found.precedence > $0.precedence }) ?? true
                    {
                        redirect = found
                    }
                }
                if let redirect {
                    redirects[index] = redirect
                    firstRedirect = firstRedirect ?? redirect
                } else if parts[index].waitsForReplicas, let firstRedirect {
                    redirects[index] = firstRedirect
                    if ranHere {
                        // Anything but a count confirms nothing of what this node ran.
                        var acknowledged: Int64 = 0
                        if case .integer(let count) = last { acknowledged = count }
                        waitFloors[index] = min(acknowledged, waitFloors[index] ?? acknowledged)
                    }
                } else if let floor = waitFloors[index], case .integer(let count) = last, floor < count {
                    replies[index] = Array(":\(floor)\r\n".utf8)
                } else {
                    replies[index] = Array(buffer[start..<parser.index])
                    ranHere = true
                }
            }
        }
    }

    /// Commands that only read: a call of nothing else may be sent again after its node
    /// failed mid-call.
    static let readCommands: Set<String> = [
        "GET", "MGET", "EXISTS", "TYPE", "HGET", "HMGET", "HGETALL", "ZCARD", "ZCOUNT", "ZSCORE", "ZMSCORE",
        "ZRANGEBYSCORE", "ZRANGEBYLEX", "ZLEXCOUNT", "INFO", "PING",
    ]

    /// Whether every command of `request` only reads (scripts and transactions count as writes).
    static func isReadOnly(_ request: [UInt8], commands: Int) -> Bool {
        request.withUnsafeBytes { buffer in
            var parser = RESPParser(buffer)
            for _ in 0..<commands {
                let start = parser.index
                guard parser.arrayHeader() != nil, case .some(.some(let bytes)) = parser.bulk(),
                    readCommands.contains(String(decoding: bytes, as: UTF8.self).uppercased())
                else { return false }
                parser.index = start
                parser.skip()
            }
            return true
        }
    }

    /// The request's parts: a `MULTI` starts one that ends with its `EXEC` or `DISCARD`;
    /// every other command is one.
    private static func parts(of request: [UInt8], commands: Int) -> [Part] {
        request.withUnsafeBytes { buffer in
            var parser = RESPParser(buffer)
            var parts: [Part] = []
            var open: Part?
            for _ in 0..<commands {
                let start = parser.index
                var name = ""
                if parser.arrayHeader() != nil, case .some(.some(let bytes)) = parser.bulk() {
                    name = String(decoding: bytes, as: UTF8.self).uppercased()
                }
                parser.index = start
                parser.skip()
                let command = Part(bytes: start..<parser.index, commands: 1)
                if var block = open {
                    block.bytes = block.bytes.lowerBound..<command.bytes.upperBound
                    block.commands += 1
                    if name == "EXEC" || name == "DISCARD" {
                        parts.append(block)
                        open = nil
                    } else {
                        open = block
                    }
                } else if name == "MULTI" {
                    open = command
                } else {
                    var command = command
                    command.waitsForReplicas = name == "WAIT"
                    parts.append(command)
                }
            }
            if let open { parts.append(open) }
            return parts
        }
    }
}

extension RESPParser {
    /// A copy of the next `count` replies' bytes when one of them is a cluster redirect
    /// (`MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`), else `nil`; consumes nothing either way.
    func repliesIfRedirected(_ count: Int) -> [UInt8]? {
        var position = index
        var redirected = false
        for _ in 0..<count where position < bytes.count {
            if bytes[position] == UInt8(ascii: "-"),
                RedisRedirect.isRedirect(UnsafeRawBufferPointer(rebasing: bytes[(position + 1)...]))
            {
                redirected = true
            }
            position = ((try? Self.replyEnd(in: bytes, from: position)) ?? nil) ?? bytes.count
        }
        return redirected ? Array(bytes[index..<position]) : nil
    }

    /// The next `count` replies' bytes, consumed.
    mutating func copyReplies(_ count: Int) -> [UInt8] {
        let start = index
        for _ in 0..<count { skip() }
        return Array(bytes[start..<index])
    }
}
