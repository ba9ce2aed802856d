/// A reply copied out of the connection's buffer (``RESPParser/reply()``), for the calls
/// that are not decoded in place.
package enum RedisReply: Sendable, Equatable {
    case bulk([UInt8])
    case status(String)
    case error(String)
    case integer(Int64)
    case null
    case array([RedisReply])

    /// The server's error text, if this is an error reply.
    var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}
