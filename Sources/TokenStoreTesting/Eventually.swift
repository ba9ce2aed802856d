import Testing

/// Waits until `condition` holds, checking every few milliseconds, and fails the test when
/// it still does not hold after `limit`: a setup wait, so tens of seconds (a loaded 2-core
/// runner delays tasks by seconds), and never an endless spin.
///
/// Sleeping between checks, not `Task.yield()`: a loop of yields keeps a cooperative thread
/// busy (with two of them on a 2-thread pool it slows the very task it waits for), and a
/// yield ignores cancellation, so not even a time limit could end it.
///
/// - Throws: ``EventuallyTimedOut`` after recording the failure, `CancellationError` when
///   the waiting task is cancelled, or what `condition` throws.
public func eventually(
    _ what: Comment, within limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("not within \(limit): \(what)", sourceLocation: sourceLocation)
            throw EventuallyTimedOut()
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// Thrown by ``eventually(_:within:sourceLocation:_:)`` after it recorded the failure.
public struct EventuallyTimedOut: Error {
    public init() {}
}
