import TokenStoreIO
import TokenStoreKit

/// How concurrent round trips of one store share a connection's (see `CallCoalescer`): a
/// queued call hands its leader its encoded request, and the leader has it decode its
/// replies in place from the connection's buffer.
typealias RedisCoalescer = CallCoalescer<any PipelinedCall, Void>

extension RedisCoalescer.Policy {
    /// The Redis driver's choice:
    /// - Two leaders keep one pipeline in flight while the next one gathers (well above
    ///   one connection per caller under 16 callers; see Benchmarks/README.md).
    /// - A short company window: a Redis round trip is short, and a leader alone should
    ///   soon go back to polling inline.
    /// - Leaders yield once for followers: a leader resumes the calls it carried and
    ///   frees its slot at once, before they call again, so the next leader would
    ///   otherwise find an empty queue and go out nearly alone.
    static var redis: Self { Self(leaders: 2, companyWindow: .milliseconds(2), yieldsForFollowers: true) }

    /// A cluster node's: one leader. The store's callers spread over the primaries, so
    /// with one leader per node as many pipelines are in flight as nodes, each carrying
    /// the node's whole queue (see Benchmarks/README.md, "Redis Cluster beside a single
    /// Redis").
    static var redisClusterNode: Self { Self(leaders: 1, companyWindow: .milliseconds(2), yieldsForFollowers: true) }
}

/// A call queued behind the leaders, as a leader sees it.
protocol PipelinedCall: AnyObject, Sendable {
    /// The call's encoded commands. Each request's commands stay contiguous in the
    /// pipeline, so `MULTI`/`EXEC` blocks and scripts keep their atomicity.
    var request: [UInt8] { get }
    var commands: Int { get }
    /// The bytes of the store's `WAIT` that end `request` (0: none). A pipeline carrying
    /// several such calls sends it once, after them all (see
    /// `RedisTokenStore.leadSharingWait`).
    var waitBytes: Int { get }
    /// Decodes this call's replies from the leader's connection buffer into the call.
    func decodeReplies(_ parser: inout RESPParser)
}

/// One queued call: its request, its decoder, and where its leader puts the value.
///
/// `@unchecked Sendable`: `value` is written once, by the leader that carries the call,
/// before the coalescer resumes the call, which reads it only after it resumed.
final class QueuedCall<Value: Sendable>: PipelinedCall, @unchecked Sendable {
    let request: [UInt8]
    let commands: Int
    let waitBytes: Int
    private let decode: ReplyDecoder<Value>
    private(set) var value: Value?

    init(request: [UInt8], commands: Int, waitBytes: Int, decode: @escaping ReplyDecoder<Value>) {
        self.request = request
        self.commands = commands
        self.waitBytes = waitBytes
        self.decode = decode
    }

    func decodeReplies(_ parser: inout RESPParser) {
        value = parser.decode(commands, with: decode)
    }
}
