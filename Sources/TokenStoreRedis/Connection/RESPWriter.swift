/// Encodes commands in the Redis protocol (RESP2 arrays of bulk strings) into a buffer a
/// connection reuses, so a command costs no allocation once the buffer has grown.
/// Arguments are binary-safe: any bytes, including NUL and CRLF.
package struct RESPWriter {
    package private(set) var bytes: [UInt8] = []
    /// Commands written since the last ``reset()``; each gets one reply.
    private(set) var commandCount = 0

    /// - Parameter capacity: bytes to reserve; a connection's writer keeps its buffer, a
    ///   queued call's writer holds one small request.
    package init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    package mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        commandCount = 0
    }

    /// Appends commands another writer encoded (`commands` of them).
    package mutating func append(encoded: [UInt8], commands: Int) {
        append(encoded: encoded[...], commands: commands)
    }

    /// Appends commands another writer encoded (`commands` of them), a part of its bytes.
    mutating func append(encoded: ArraySlice<UInt8>, commands: Int) {
        bytes.append(contentsOf: encoded)
        commandCount += commands
    }

    /// Starts a command of `count` arguments (the command name included).
    package mutating func command(_ count: Int) {
        bytes.append(UInt8(ascii: "*"))
        appendDecimal(count)
        appendCRLF()
        commandCount += 1
    }

    package mutating func argument(_ text: StaticString) {
        text.withUTF8Buffer { argument($0) }
    }

    package mutating func argument(_ text: String) {
        var text = text
        text.withUTF8 { argument($0) }
    }

    package mutating func argument(_ value: Int64) {
        argument(String(value))
    }

    package mutating func argument(_ value: Int) {
        argument(String(value))
    }

    package mutating func argument(_ data: some Collection<UInt8>) {
        bytes.append(UInt8(ascii: "$"))
        appendDecimal(data.count)
        appendCRLF()
        bytes.append(contentsOf: data)
        appendCRLF()
    }

    /// One argument made of `head` followed by the UTF-8 of `tail` (a key under a prefix).
    package mutating func argument(_ head: [UInt8], _ tail: String) {
        bytes.append(UInt8(ascii: "$"))
        appendDecimal(head.count + tail.utf8.count)
        appendCRLF()
        bytes.append(contentsOf: head)
        bytes.append(contentsOf: tail.utf8)
        appendCRLF()
    }

    /// One argument made of `head` followed by `tail` (a key under a prefix).
    package mutating func argument(_ head: [UInt8], _ tail: [UInt8]) {
        bytes.append(UInt8(ascii: "$"))
        appendDecimal(head.count + tail.count)
        appendCRLF()
        bytes.append(contentsOf: head)
        bytes.append(contentsOf: tail)
        appendCRLF()
    }

    /// One argument of `length` bytes, which `write` appends to the buffer (exactly that
    /// many): a key built in place, without an array of its own.
    package mutating func argument(length: Int, _ write: (inout [UInt8]) -> Void) {
        bytes.append(UInt8(ascii: "$"))
        appendDecimal(length)
        appendCRLF()
        write(&bytes)
        appendCRLF()
    }

    private mutating func appendCRLF() {
        bytes.append(13)
        bytes.append(10)
    }

    private mutating func appendDecimal(_ value: Int) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while rest > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }
}
