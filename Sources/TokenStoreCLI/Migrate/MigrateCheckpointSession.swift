import ArgumentParser
import Synchronization
import TokenStoreKit
import TokenStoreMigration

/// The checkpoint file of one `migrate`/`rekey` run: loads it for `--resume`, mentions a
/// leftover one otherwise, saves after each batch, and turns failures into the right exit
/// status (4 when a checkpoint exists to resume from, else 1).
final class MigrateCheckpointSession: Sendable {
    let file: MigrationCheckpointFile
    private let saved = Mutex<MigrationCheckpoint?>(nil)

    init(file: MigrationCheckpointFile) {
        self.file = file
    }

    /// The checkpoint to resume from (`--resume`), or `nil` to start from the beginning.
    ///
    /// - Throws: ``CLIFailure`` when `--resume` finds no checkpoint or one of another run, or
    ///   when the file is unreadable or its directory cannot be made.
    func start(initial: MigrationCheckpoint, resume: Bool, console: CLIConsole) throws -> MigrationCheckpoint? {
        let existing: MigrationCheckpoint?
        do {
            existing = try file.load()
            try file.prepareDirectory()
        } catch let error as MigrationCheckpointError {
            throw CLIFailure(error.description)
        }
        guard resume else {
            if let existing {
                console.printError(
                    "note: a checkpoint of an earlier run (\(existing.counts.read) token(s), saved \(existing.savedAt)) "
                        + "is at \(file.path); starting from the beginning (safe: writes are idempotent). "
                        + "Use --resume to continue from it instead.")
            }
            return nil
        }
        guard let existing else {
            throw CLIFailure(
                "--resume: no checkpoint at \(file.path); run without --resume to start from the beginning")
        }
        let conflicts = existing.conflicts(with: initial)
        guard conflicts.isEmpty else {
            throw CLIFailure(
                "--resume: the checkpoint at \(file.path) belongs to another run: " + conflicts.joined(separator: "; ")
                    + ". Run with the same stores and options, or without --resume to start over.")
        }
        saved.withLock { $0 = existing }
        console.printError(
            "Resuming after \(existing.counts.read) token(s) (\(existing.phase.rawValue)) from \(file.path)")
        return existing
    }

    /// Saves `checkpoint`; handed to the engine.
    var handler: @Sendable (MigrationCheckpoint) async throws -> Void {
        { checkpoint in
            try await self.file.persist(checkpoint)
            self.saved.withLock { $0 = checkpoint }
        }
    }

    /// The last checkpoint saved or resumed from.
    var lastSaved: MigrationCheckpoint? { saved.withLock { $0 } }

    /// Deletes the file after a complete run.
    func finish(console: CLIConsole) {
        do {
            try file.remove()
        } catch {
            console.printError("warning: \(error)")
        }
    }

    /// The error to exit with after `message`: exit 4 with the resume hint when a
    /// checkpoint exists, else a ``CLIFailure`` (exit 1).
    func failure(_ message: String, console: CLIConsole) -> any Error {
        guard let checkpoint = lastSaved else { return CLIFailure(message) }
        console.printError("Error: \(message)")
        console.printError(
            "failed after \(checkpoint.counts.read) token(s); the checkpoint is saved at \(file.path); "
                + "continue with --resume")
        return ExitCode(MigrateExitCode.interrupted)
    }

    /// The message and exit status after an interruption.
    func interrupted(console: CLIConsole) -> any Error {
        if let checkpoint = lastSaved {
            console.printError(
                "interrupted after \(checkpoint.counts.read) token(s); continue with --resume (checkpoint: \(file.path))")
        } else {
            console.printError("interrupted before the first batch was committed; nothing to resume, run the command again")
        }
        return ExitCode(MigrateExitCode.interrupted)
    }
}
