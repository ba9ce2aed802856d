import Foundation
import TokenStoreKit
import TokenStoreMigration

/// Where `migrate` and `rekey` keep their checkpoints: `$XDG_STATE_HOME/tokenstore/`, else
/// `~/.local/state/tokenstore/`, one file per run named by a hash of its stores and options.
enum MigrateCheckpointLocation {
    /// The checkpoint directory.
    ///
    /// - Throws: ``CLIFailure`` when neither `XDG_STATE_HOME` nor `HOME` is an absolute path.
    static func directory(environment: [String: String]) throws -> String {
        try StoreLocation.xdgDirectory(
            "XDG_STATE_HOME", fallback: ".local/state", environment: environment,
            hint: "cannot find a state directory for the checkpoint: neither XDG_STATE_HOME nor HOME is an "
                + "absolute path; pass --checkpoint FILE")
    }

    /// The checkpoint file for `initial`'s run: `explicit` when given, else the default
    /// directory and ``MigrationCheckpoint/fileName(operation:source:destination:only:secrets:)``.
    ///
    /// - Throws: ``CLIFailure`` when no directory can be found.
    static func file(
        for initial: MigrationCheckpoint, explicit: String?, environment: [String: String]
    ) throws -> MigrationCheckpointFile {
        if let explicit, !explicit.isEmpty { return MigrationCheckpointFile(path: explicit) }
        let name = MigrationCheckpoint.fileName(
            operation: initial.operation, source: initial.source, destination: initial.destination,
            only: initial.only, secrets: initial.secrets)
        return MigrationCheckpointFile(path: (try directory(environment: environment) as NSString).appendingPathComponent(name))
    }
}
