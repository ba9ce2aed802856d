import TokenStoreKit

/// Reads a store's pages one at a time and hands out their records in order.
struct PagedReader<Token, Cursor> {
    let fetch: (Cursor?) async throws -> ([Token], Cursor?)
    private var buffer: [Token] = []
    private var index = 0
    private var cursor: Cursor?
    private var started = false

    init(fetch: @escaping (Cursor?) async throws -> ([Token], Cursor?)) {
        self.fetch = fetch
    }

    /// The next record that satisfies `include`, or `nil` at the end.
    mutating func next(where include: (Token) -> Bool) async throws -> Token? {
        while true {
            while index < buffer.count {
                let token = buffer[index]
                index += 1
                if include(token) { return token }
            }
            if started, cursor == nil { return nil }
            (buffer, cursor) = try await fetch(cursor)
            index = 0
            started = true
        }
    }
}
