/// The one error every store throws.
///
/// ``description`` names the store, the operation and what went wrong, in words a user can
/// act on; it never contains a token secret, a password or a key. The message of the
/// underlying library, after redaction, is in ``debugDescription``.
public struct TokenStoreError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. Cases can be added without breaking callers that
    /// `switch` with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case unavailable = "store unavailable"
            case timedOut = "timed out"
            case misconfigured = "misconfigured"
            case unknownScheme = "unknown URL scheme"
            case corruptedRecord = "corrupted record"
            case schemaTooNew = "schema newer than this code"
            case closed = "store closed"
            case invalidArgument = "invalid argument"
            case permissionDenied = "permission denied"
            case authenticationFailed = "authentication failed"
            case sealing = "sealing failed"
            case unsupported = "unsupported"
            case `internal` = "internal error"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server or file cannot be reached: refused, reset, restarting, disk gone.
        /// Retrying later may succeed.
        public static let unavailable = Code(.unavailable)
        /// The operation did not finish within its timeout (connect, command, pool wait).
        public static let timedOut = Code(.timedOut)
        /// The store URL or configuration is malformed or inconsistent.
        public static let misconfigured = Code(.misconfigured)
        /// No driver is registered for the URL's scheme.
        public static let unknownScheme = Code(.unknownScheme)
        /// A stored record cannot be decoded; the error names the record.
        public static let corruptedRecord = Code(.corruptedRecord)
        /// The storage was migrated by a newer version of this library.
        public static let schemaTooNew = Code(.schemaTooNew)
        /// The store was closed.
        public static let closed = Code(.closed)
        /// An argument is out of range (e.g. a page limit below 1).
        public static let invalidArgument = Code(.invalidArgument)
        /// The file system or server refused access.
        public static let permissionDenied = Code(.permissionDenied)
        /// The server rejected the credentials in the URL.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// Sealing or unsealing a secret failed: unknown key id, wrong key, tampering.
        public static let sealing = Code(.sealing)
        /// The store does not support the operation.
        public static let unsupported = Code(.unsupported)
        /// A bug or an unexpected reply; the message says what was seen.
        public static let `internal` = Code(.internal)

        public var description: String { base.rawValue }

        /// The code as one snake_case word (`unavailable`, `timed_out`, `corrupted_record`...):
        /// stable, for metric dimensions and log fields.
        public var identifier: String {
            switch base {
            case .unavailable: "unavailable"
            case .timedOut: "timed_out"
            case .misconfigured: "misconfigured"
            case .unknownScheme: "unknown_scheme"
            case .corruptedRecord: "corrupted_record"
            case .schemaTooNew: "schema_too_new"
            case .closed: "closed"
            case .invalidArgument: "invalid_argument"
            case .permissionDenied: "permission_denied"
            case .authenticationFailed: "authentication_failed"
            case .sealing: "sealing"
            case .unsupported: "unsupported"
            case .internal: "internal"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// The store, as its ``TokenStore/displayName`` (no password).
    public var store: String
    /// The operation that failed, e.g. `takeRequestToken`.
    public var operation: String
    /// What went wrong, for a person; never a secret.
    public var message: String
    /// The record involved (a file path, a key), when there is one; never a secret.
    public var record: String?
    /// The underlying error, if any. Its text appears only in ``debugDescription``.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(
        _ code: Code,
        store: String,
        operation: String,
        message: String,
        record: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.store = store
        self.operation = operation
        self.message = message
        self.record = record
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(store): \(operation) failed: \(code): \(message)"
        if let record { text += " (record: \(record))" }
        return text
    }

    public var debugDescription: String {
        guard let underlying else { return description }
        return description + " [underlying: \(String(reflecting: underlying))]"
    }
}
