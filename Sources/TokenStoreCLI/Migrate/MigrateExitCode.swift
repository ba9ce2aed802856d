import ArgumentParser

/// The exit statuses of `tokenstore migrate` and `tokenstore rekey` (also in their `--help`
/// and Docs/migrate.md).
enum MigrateExitCode {
    /// Everything copied (and verified when asked).
    static let done: Int32 = 0
    /// Failed with nothing to resume: bad options, a store that does not open, a sealing
    /// key error on the first page, a checkpoint that belongs to another run.
    static let failed: Int32 = 1
    /// `--verify` found a difference.
    static let verificationMismatch: Int32 = 3
    /// Interrupted (SIGINT/SIGTERM) or failed mid-run with a checkpoint saved: run the same
    /// command again with `--resume`.
    static let interrupted: Int32 = 4
    /// A usage error (ArgumentParser's EX_USAGE).
    static let usage: Int32 = 64

    /// The text for `rekey --help` (rekey has no `--verify`, so no 3).
    static let rekeyHelp = """
        Exit status: 0 done; 1 failed, nothing to resume (bad options, no keys, store or key \
        errors before the first page was re-sealed); 4 interrupted or failed mid-run with a \
        checkpoint saved (run again with --resume); 64 usage error.
        """

    /// The text for `migrate --help`.
    static let help = """
        Exit status: 0 done; 1 failed, nothing to resume (bad options, store or key errors \
        before the first batch); 3 --verify found a difference; 4 interrupted or failed mid-run \
        with a checkpoint saved (run again with --resume); 64 usage error.
        """
}
