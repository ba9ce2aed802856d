import Foundation
import Testing
import TokenStoreKit
import TokenStoreMigration

@testable import TokenStoreCLI

/// The progress display: bar on a terminal, plain lines otherwise, nothing when quiet.
@Suite(.inProcessTimeLimit) struct MigrateProgressDisplayTests {
    static func progress(read: Int, total: Int) -> MigrationProgress {
        var counts = MigrationCounts()
        counts.accessRead = read
        return MigrationProgress(phase: .accessTokens, counts: counts, total: total, readThisRun: read)
    }

    @Test func lineShowsCountTotalRateAndETA() {
        let line = MigrateProgressDisplay.line(Self.progress(read: 250, total: 1000), elapsed: .seconds(5))
        #expect(line == "access-tokens 250/1000 (25%), 50 tokens/s, ETA 0:00:15")
        let done = MigrateProgressDisplay.line(Self.progress(read: 1000, total: 1000), elapsed: .seconds(10))
        #expect(done == "access-tokens 1000/1000 (100%), 100 tokens/s")
        #expect(MigrateProgressDisplay.clock(3725) == "1:02:05")
    }

    @Test func terminalRedrawsOneLineAndPlainOutputIsThrottled() {
        let terminal = CapturedConsole()
        let bar = MigrateProgressDisplay(console: terminal.console, isTerminal: true, interval: 5, quiet: false)
        bar.update(Self.progress(read: 10, total: 100))
        bar.update(Self.progress(read: 20, total: 100))  // within 100 ms: not drawn
        bar.finish()
        #expect(terminal.error.hasPrefix("\r\u{1B}[2Kaccess-tokens 10/100 (10%)"))
        #expect(!terminal.error.contains("20/100"))
        #expect(terminal.error.hasSuffix("\n"))

        let plain = CapturedConsole()
        let lines = MigrateProgressDisplay(console: plain.console, isTerminal: false, interval: 60, quiet: false)
        for read in stride(from: 10, through: 100, by: 10) { lines.update(Self.progress(read: read, total: 100)) }
        lines.finish()
        #expect(plain.error.split(separator: "\n").count == 1)
        #expect(!plain.error.contains("\r") && !plain.error.contains("\u{1B}"))

        let quiet = CapturedConsole()
        let silent = MigrateProgressDisplay(console: quiet.console, isTerminal: true, interval: 1, quiet: true)
        silent.update(Self.progress(read: 10, total: 100))
        silent.finish()
        #expect(quiet.error.isEmpty)
    }
}
