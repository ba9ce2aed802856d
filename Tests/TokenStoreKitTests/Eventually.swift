import Testing

/// Waits until `condition` holds, checking every millisecond, and fails the test when it
/// still does not hold after `limit`: a setup wait, so tens of seconds (a loaded 2-core
/// runner delays tasks by seconds), and never an endless spin.
///
/// Sleeping between checks, not `Task.yield()`: a loop of yields keeps a cooperative thread
/// busy and, with two of them on a 2-thread pool, slows the very task it waits for.
func eventually(
    _ what: Comment, within limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("not within \(limit): \(what)", sourceLocation: sourceLocation)
            throw EventuallyTimedOut()
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}

/// Thrown by ``eventually(_:within:sourceLocation:_:)`` after it recorded the failure.
struct EventuallyTimedOut: Error {}

@Suite("eventually", .inProcessTimeLimit)
struct EventuallyTests {
    @Test("a condition that never holds fails the test instead of waiting forever")
    func neverHolds() async {
        await withKnownIssue("the condition never held") {
            try await eventually("never", within: .milliseconds(50)) { false }
        }
    }

    @Test("a cancelled wait ends at once")
    func cancelled() async {
        let waiting = Task { try await eventually("never", within: .seconds(600)) { false } }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }
}
