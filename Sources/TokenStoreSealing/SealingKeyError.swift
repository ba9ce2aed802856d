import TokenStoreKit

/// Why a sealing key or key ring could not be loaded.
///
/// Messages name the key id, line or file involved, never key material.
public struct SealingKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is.
    public enum Code: String, Sendable, Hashable {
        /// No key was configured.
        case emptyKeyRing = "no sealing keys"
        /// A key id is empty, too long or has characters outside `A-Z a-z 0-9 . _ -`.
        case invalidKeyID = "invalid key id"
        /// Key material is not valid base64.
        case invalidBase64 = "key is not base64"
        /// Key material does not decode to 32 bytes.
        case wrongKeyLength = "key is not 32 bytes"
        /// Two keys share an id.
        case duplicateKeyID = "duplicate key id"
        /// A line or entry does not have the documented shape.
        case malformedEntry = "malformed entry"
        /// The key file cannot be read.
        case unreadableFile = "key file unreadable"
        /// The key file can be read or written by others (mode must be 0600 or 0400).
        case insecurePermissions = "key file permissions too open"
        /// The system random generator failed.
        case randomFailed = "random generator failed"
    }

    /// The kind of problem.
    public var code: Code
    /// What went wrong, for a person; never key material.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
