import Foundation
import Synchronization
import TokenStoreKit
import TokenStoreMigration

/// Shows a run's progress on standard error: on a terminal a one-line bar redrawn at most
/// ten times a second; otherwise a plain line every `interval` seconds; nothing when quiet.
final class MigrateProgressDisplay: Sendable {
    private struct State {
        var lastShown: ContinuousClock.Instant?
        var shownOnTerminal = false
    }

    private let console: CLIConsole
    private let isTerminal: Bool
    private let interval: Duration
    private let quiet: Bool
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    /// Creates a display.
    ///
    /// - Parameters:
    ///   - console: where to write (standard error).
    ///   - isTerminal: draw a bar instead of lines.
    ///   - interval: seconds between plain lines.
    ///   - quiet: show nothing.
    init(console: CLIConsole, isTerminal: Bool, interval: Double, quiet: Bool) {
        self.console = console
        self.isTerminal = isTerminal
        // Bounded before converting: `--progress-interval inf` parses as a Double.
        self.interval = .milliseconds(Int64(interval.isNaN ? 0 : min(max(0, interval), 1e9) * 1000))
        self.quiet = quiet
    }

    /// Shows `progress` if enough time has passed since the last update.
    func update(_ progress: MigrationProgress) {
        guard !quiet else { return }
        let now = ContinuousClock.now
        let minimum: Duration = isTerminal ? .milliseconds(100) : interval
        let due = state.withLock { state -> Bool in
            if let last = state.lastShown, now - last < minimum { return false }
            state.lastShown = now
            state.shownOnTerminal = isTerminal
            return true
        }
        guard due else { return }
        let line = Self.line(progress, elapsed: now - started)
        if isTerminal {
            console.writeError("\r\u{1B}[2K" + line)
        } else {
            console.printError(line)
        }
    }

    /// Ends the bar's line so later output starts on a fresh one.
    func finish() {
        let drawn = state.withLock { state -> Bool in
            defer { state.shownOnTerminal = false }
            return state.shownOnTerminal
        }
        if drawn { console.writeError("\n") }
    }

    /// `access-tokens 12000/100000 (12%), 5400 tokens/s, ETA 0:00:14`.
    static func line(_ progress: MigrationProgress, elapsed: Duration) -> String {
        let done = progress.counts.read
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(progress.readThisRun) / seconds : 0
        var text = "\(progress.phase.rawValue) \(done)"
        if progress.total > 0 {
            let percent = min(100, done * 100 / max(progress.total, 1))
            text += "/\(progress.total) (\(percent)%)"
        }
        text += ", \(Int(rate.rounded())) tokens/s"
        if rate > 0, progress.total > done {
            text += ", ETA " + clock(Double(progress.total - done) / rate)
        }
        return text
    }

    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        return String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
    }
}
