import Foundation
import Testing
import TokenStoreKit
import TokenStoreMigration

@testable import TokenStoreCLI

/// `--progress-interval` is a Double: `inf` parses, and must not trap when converted.
@Suite("Migrate progress interval", .timeLimit(.minutes(5)))
struct MigrateProgressIntervalTests {
    @Test("an infinite or enormous interval prints the first line and no more", arguments: [Double.infinity, 1e300])
    func hugeInterval(seconds: Double) {
        let plain = CapturedConsole()
        let display = MigrateProgressDisplay(console: plain.console, isTerminal: false, interval: seconds, quiet: false)
        display.update(MigrationProgress(phase: .accessTokens, counts: MigrationCounts(), total: 10, readThisRun: 0))
        display.finish()
        #expect(plain.error.split(separator: "\n").count <= 1)
    }
}
