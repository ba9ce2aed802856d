import Testing
import TokenStoreTesting

/// The shared `eventually` (TokenStoreTesting) itself.
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
