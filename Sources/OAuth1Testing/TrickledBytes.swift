import FlyingSocks

/// Bytes that arrive one at a time, `interval` apart: a response body that is never idle
/// for long yet takes `count * interval` to arrive.
struct TrickledBytes: AsyncBufferedSequence {
    typealias Element = UInt8

    let bytes: [UInt8]
    let interval: Duration

    func makeAsyncIterator() -> Iterator { Iterator(bytes: bytes, interval: interval) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        let bytes: [UInt8]
        let interval: Duration
        var index = 0

        mutating func next() async throws -> UInt8? {
            try await nextBuffer(suggested: 1)?.first
        }

        mutating func nextBuffer(suggested count: Int) async throws -> [UInt8]? {
            guard index < bytes.count else { return nil }
            try await Task.sleep(for: interval)
            defer { index += 1 }
            return [bytes[index]]
        }
    }
}
