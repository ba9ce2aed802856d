import ArgumentParser

/// `--timeout SECONDS`: how long one HTTP exchange with the provider may take, for the
/// commands that send requests (`authorize`, `request`).
struct HTTPTimeoutOptions: ParsableArguments, Sendable {
    /// The longest `--timeout` accepted: a day. Anything longer is a typo, not a wait.
    static let maximumSeconds = 86_400.0

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp("Seconds one HTTP exchange may take.", valueName: "SECONDS"))
    var seconds: Double = 30

    init() {}

    func validate() throws {
        guard seconds.isFinite, seconds > 0, seconds <= Self.maximumSeconds else {
            throw ValidationError("--timeout must be a number of seconds above 0 and at most 86400")
        }
    }

    /// The timeout as a `Duration` (``validate()`` has kept it finite and in range).
    var duration: Duration {
        let clamped = min(max(seconds.isFinite ? seconds : 30, 0.001), Self.maximumSeconds)
        return .milliseconds(Int64(clamped * 1000))
    }
}
