/// How a server driver (PostgreSQL, Redis) waits for a reply once its request is sent.
///
/// Set it in the driver's configuration (`replyWait`) or with the URL parameter
/// `reply_wait=adaptive|park|spin`. Benchmarks/README.md ("Reply waits and the HTTP load")
/// has the measurements behind the default.
public enum ReplyWait: String, Sendable, Hashable, CaseIterable {
    /// The default. A call that is alone on its store, on a connection whose replies have
    /// averaged under 300 us, waits for its reply as a blocking client would: one
    /// `sched_yield` (which hands a core shared with the server to the server), one read,
    /// then one `poll` on its own thread, bounded at 5 ms (longer than a scheduler tick, so
    /// the wait arms no timer of its own; at most one such wait per core but one in the
    /// process), so it neither burns CPU nor pays a thread wake-up. As soon as other calls
    /// are in flight, or replies come slower, it parks (``park``), leaving the thread to
    /// them.
    case adaptive
    /// Always suspend the calling task at once; the library's I/O thread resumes it when
    /// the reply is readable. Never holds a cooperative thread while the server works; a
    /// lone caller pays a thread wake-up per reply.
    case park
    /// Like ``adaptive``, but the inline wait first polls without blocking (yielding the
    /// core between polls), and a parked wait may poll on the I/O thread. On idle cores it
    /// catches a loopback reply sooner, burning CPU while the server works; where the
    /// client and the server share a CPU it can starve the server. The drivers' behaviour
    /// before `reply_wait` existed.
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
