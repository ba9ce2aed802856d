import TokenStoreKit
import TokenStoreMigration

/// How a `migrate`/`rekey` run meets the outside world beyond its console: whether stderr
/// is a terminal (progress bar or plain lines) and the control its signal handlers stop.
struct MigrateTerminal: Sendable {
    /// Whether standard error is a terminal.
    var isTerminal: Bool
    /// Stopped by SIGINT/SIGTERM (or by a test).
    var control: MigrationControl

    /// Creates a terminal description.
    init(isTerminal: Bool = false, control: MigrationControl = MigrationControl()) {
        self.isTerminal = isTerminal
        self.control = control
    }
}
