/// How a server driver (PostgreSQL, Redis) waits for a reply once its request is sent.
///
/// Set it in the driver's configuration (`replyWait`) or with the URL parameter
/// `reply_wait=park|spin`. The choice and its measurements are in Benchmarks/README.md
/// ("Reply waits").
public enum ReplyWait: String, Sendable, Hashable, CaseIterable {
    /// Suspend the calling task at once; the library's I/O thread resumes it when the
    /// reply is readable. No CPU is spent while the server works, and the cooperative
    /// threads stay free for other tasks (an HTTP server's requests). The default.
    case park
    /// Poll the socket on the calling thread for up to 300 us (sized from the replies
    /// this connection has seen) before parking, only while few calls are in flight.
    /// Lowers an idle single caller's latency on loopback by the cost of a thread wake-up,
    /// at the price of CPU burnt while the server works; on a machine where the client and
    /// the server share a CPU it slows both.
    case spin

    /// The URL parameter that sets it.
    package static let urlParameter = "reply_wait"

    /// Parses `reply_wait` from a store URL's driver parameters; `nil` when absent.
    ///
    /// - Throws: `misconfigured` naming the accepted values.
    package static func parse(_ parameters: [String: String], store: String) throws(TokenStoreError) -> ReplyWait? {
        guard let text = parameters[urlParameter] else { return nil }
        guard let value = ReplyWait(rawValue: text.lowercased()) else {
            throw TokenStoreError(
                .misconfigured, store: store, operation: "open",
                message: "\(urlParameter) must be one of \(allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
        }
        return value
    }
}
