import Testing

// The time limits of this target's suites; every test target has the same two. Swift
// Testing applies a suite's limit to each of its tests (each argument of a parameterized
// test on its own), counted in whole minutes from the test's start, so it includes the
// time a loaded 2-core runner keeps the test waiting for a thread. Far above a normal run,
// far below CI's 90 minutes: a hang fails with the test's name instead of eating the run.
extension Trait where Self == TimeLimitTrait {
    /// Tests that run in this process only.
    static var inProcessTimeLimit: Self { .timeLimit(.minutes(5)) }
    /// Tests that talk to servers (the local OAuth 2.0 provider).
    static var serverTimeLimit: Self { .timeLimit(.minutes(10)) }
}
