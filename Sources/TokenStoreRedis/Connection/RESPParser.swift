/// Decodes one call's replies (their count is the second argument) in place, on whichever
/// task carries the call. Failures are part of `Value`: one call's bad record must not
/// fail the others in its pipeline.
typealias ReplyDecoder<Value> = @Sendable (inout RESPParser, Int) -> Value

/// Reads RESP2 replies in place from a connection's read buffer.
///
/// ``replyEnd(in:from:)`` checks a reply's framing without building anything; once every
/// reply of an exchange is complete and well-formed, a parser walks them, and decoders take
/// what they need straight from the buffer (the hot paths build only the record's Strings).
/// The parser only ever runs over bytes ``replyEnd(in:from:)`` accepted, so it needs no
/// error paths of its own; it still never reads outside its buffer.
package struct RESPParser {
    /// A reply that breaks the protocol or the size limit: the connection cannot be
    /// trusted any more.
    package struct Violation: Error {
        package enum Kind: Sendable {
            /// Bytes that are not RESP2.
            case malformed
            /// A reply larger than the caller's limit (announced, or buffered so far).
            case tooLarge
        }

        package var kind: Kind = .malformed
        package var reason: String
    }

    let bytes: UnsafeRawBufferPointer
    package internal(set) var index = 0

    package init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The deepest nesting accepted (Redis replies nest two levels at most; EXEC of a script).
    static let maxDepth = 16
    /// The longest status, error or header line accepted before its CRLF.
    static let maxLine = 1 << 20
    /// Bulk strings and arrays larger than Redis allows (512 MB) are refused.
    package static let maxLength = 512 << 20

    // MARK: Framing

    /// The offset just past the reply starting at `start`, `nil` while it is incomplete.
    ///
    /// - Parameter limit: the most bytes the reply may take. A bulk string or array
    ///   announcing more, a complete reply longer, or an incomplete one of which more is
    ///   already buffered, is a ``Violation/Kind/tooLarge`` violation, so a caller never
    ///   waits for (or buffers) more than `limit` bytes of one reply.
    package static func replyEnd(in bytes: UnsafeRawBufferPointer, from start: Int, limit: Int = maxLength) throws(Violation) -> Int? {
        let frame = Frame(bytes: bytes, origin: start, limit: max(0, limit))
        return try frame.replyEnd(from: start, depth: 0)
    }

    /// One top-level reply being framed: where it starts and how far it may reach.
    private struct Frame {
        let bytes: UnsafeRawBufferPointer
        let origin: Int
        let limit: Int

        /// `nil` (incomplete) unless more than `limit` bytes of the reply are buffered.
        private func incomplete() throws(Violation) -> Int? {
            if bytes.count - origin > limit { throw tooLarge("more than \(limit) bytes were buffered without reaching its end") }
            return nil
        }

        /// `end`, unless the reply up to it is longer than `limit`.
        private func complete(_ end: Int) throws(Violation) -> Int {
            if end - origin > limit { throw tooLarge("it takes \(end - origin) bytes") }
            return end
        }

        private func tooLarge(_ reason: String) -> Violation {
            Violation(kind: .tooLarge, reason: reason)
        }

        func replyEnd(from start: Int, depth: Int) throws(Violation) -> Int? {
            guard start < bytes.count else { return try incomplete() }
            guard let lineEnd = RESPParser.lineEnd(in: bytes, from: start + 1) else {
                if bytes.count - start > maxLine { throw Violation(reason: "a reply line without its end") }
                return try incomplete()
            }
            let next = lineEnd + 2
            switch bytes[start] {
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                return try complete(next)
            case UInt8(ascii: ":"):
                guard RESPParser.integer(in: bytes, start + 1, lineEnd) != nil else { throw Violation(reason: "a malformed integer") }
                return try complete(next)
            case UInt8(ascii: "$"):
                guard let length = RESPParser.integer(in: bytes, start + 1, lineEnd), length >= -1 else {
                    throw Violation(reason: "a malformed bulk length")
                }
                // Refused from its header: waiting for the body would buffer it.
                if length > Int64(limit) { throw tooLarge("a bulk string of \(length) bytes was announced") }
                guard length <= Int64(maxLength) else { throw Violation(reason: "a malformed bulk length") }
                if length == -1 { return try complete(next) }
                let end = next + Int(length) + 2
                if end - origin > limit { throw tooLarge("a bulk string of \(length) bytes was announced") }
                guard end <= bytes.count else { return try incomplete() }
                guard bytes[end - 2] == 13, bytes[end - 1] == 10 else { throw Violation(reason: "a bulk string without its end") }
                return end
            case UInt8(ascii: "*"):
                guard let count = RESPParser.integer(in: bytes, start + 1, lineEnd), count >= -1 else {
                    throw Violation(reason: "a malformed array length")
                }
                if count > Int64(limit) { throw tooLarge("an array of \(count) elements was announced") }
                guard count <= Int64(maxLength) else { throw Violation(reason: "a malformed array length") }
                guard depth < maxDepth else { throw Violation(reason: "arrays nested too deeply") }
                var position = try complete(next)
                var remaining = count
                while remaining > 0 {
                    guard let end = try replyEnd(from: position, depth: depth + 1) else { return nil }
                    position = end
                    remaining -= 1
                }
                return position
            default:
                throw Violation(reason: "an unknown reply type")
            }
        }
    }

    /// The offset of the CR of the first CRLF at or after `start`.
    fileprivate static func lineEnd(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        let last = bytes.count - 1
        while index < last {
            if bytes[index] == 13 {
                if bytes[index + 1] == 10 { return index }
            }
            index += 1
        }
        return nil
    }

    /// The decimal in `bytes[start..<end]` (optional minus sign), `nil` when malformed.
    fileprivate static func integer(in bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int64? {
        var index = start
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < end, end - index <= 19 else { return nil }
        var value: Int64 = 0
        while index < end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return negative ? -value : value
    }

    // MARK: Walking framed replies

    /// The kind of the next reply.
    var nextType: UInt8 { index < bytes.count ? bytes[index] : 0 }

    /// Reads the header line of the next reply: its type byte and the line's body.
    private mutating func header() -> (type: UInt8, body: Range<Int>) {
        guard index < bytes.count, let end = Self.lineEnd(in: bytes, from: index + 1) else {
            index = bytes.count
            return (0, index..<index)
        }
        let type = bytes[index]
        let body = (index + 1)..<end
        index = end + 2
        return (type, body)
    }

    private func number(_ body: Range<Int>) -> Int64 {
        Self.integer(in: bytes, body.lowerBound, body.upperBound) ?? 0
    }

    /// Runs `decoder` on the next `count` replies and leaves the parser after them, however
    /// many the decoder consumed.
    mutating func decode<Value>(_ count: Int, with decoder: ReplyDecoder<Value>) -> Value {
        let start = index
        let value = decoder(&self, count)
        index = start
        for _ in 0..<count { skip() }
        return value
    }

    /// Skips the next reply, whatever it is.
    package mutating func skip() {
        let end = (try? Self.replyEnd(in: bytes, from: index)) ?? nil
        index = end ?? bytes.count
    }

    /// If the next reply is an array, consumes its header and returns its length (-1 for a
    /// null array); otherwise consumes nothing and returns `nil`.
    mutating func arrayHeader() -> Int? {
        guard nextType == UInt8(ascii: "*") else { return nil }
        return Int(number(header().body))
    }

    /// If the next reply is a bulk string, consumes it and returns its bytes (valid while
    /// the buffer is; `nil` inside for a null bulk); otherwise consumes nothing.
    mutating func bulk() -> UnsafeRawBufferPointer?? {
        guard nextType == UInt8(ascii: "$") else { return nil }
        let length = Int(number(header().body))
        if length < 0 { return .some(nil) }
        let start = min(index, bytes.count)
        let end = min(start + length, bytes.count)
        index = min(end + 2, bytes.count)
        return .some(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
    }

    /// Consumes the next reply as an owned value.
    package mutating func reply() -> RedisReply {
        let (type, body) = header()
        switch type {
        case UInt8(ascii: "+"):
            return .status(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[body]), as: UTF8.self))
        case UInt8(ascii: "-"):
            return .error(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[body]), as: UTF8.self))
        case UInt8(ascii: ":"):
            return .integer(number(body))
        case UInt8(ascii: "$"):
            let length = Int(number(body))
            if length < 0 { return .null }
            let start = min(index, bytes.count)
            let end = min(start + length, bytes.count)
            index = min(end + 2, bytes.count)
            return .bulk(Array(UnsafeRawBufferPointer(rebasing: bytes[start..<end])))
        case UInt8(ascii: "*"):
            let count = Int(number(body))
            if count < 0 { return .null }
            var elements: [RedisReply] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(reply()) }
            return .array(elements)
        default:
            return .null
        }
    }

    /// Consumes `count` replies as owned values.
    mutating func replies(_ count: Int) -> [RedisReply] {
        var replies: [RedisReply] = []
        replies.reserveCapacity(count)
        for _ in 0..<count { replies.append(reply()) }
        return replies
    }
}
