import Testing

// The time limits of this target's suites, as in the root package's test targets: far above
// a normal run, far below CI's 90 minutes, so a hang fails with the test's name.
extension Trait where Self == TimeLimitTrait {
    /// Tests that run in this process only.
    static var inProcessTimeLimit: Self { .timeLimit(.minutes(5)) }
    /// Tests that talk to the local OAuth provider on loopback.
    static var serverTimeLimit: Self { .timeLimit(.minutes(10)) }
}
