import TokenStoreKit

/// A checkpoint file that cannot be read, written or removed.
public struct MigrationCheckpointError: Error, Sendable, CustomStringConvertible {
    /// The checkpoint file.
    public var path: String
    /// What failed.
    public var message: String

    /// Creates an error.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "checkpoint \(path): \(message)" }
}
