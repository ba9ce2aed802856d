import Synchronization

/// Refuses token operations of a store opened without migrating while its schema is not
/// the one this build needs, until the store upgrades it.
///
/// For driver authors: hold one per store, built from the status read at open (or `nil`
/// when the store migrated on open), call ``check(store:operation:)`` at the start of every
/// token operation and ``reopen()`` after a successful ``SchemaManagedTokenStore/upgradeSchema()``.
/// The check of an open gate is one relaxed atomic load.
public final class SchemaGate: Sendable {
    private enum Blocked: Sendable {
        case behind(current: Int, needed: Int)
        case tooNew(current: Int, known: Int)
    }

    private let isOpen: Atomic<Bool>
    private let blocked: Mutex<Blocked?>

    /// Creates a gate: open when `status` is `nil` (migrated on open) or up to date.
    ///
    /// - Parameter status: the schema as found on open, when the store did not migrate.
    public init(status: SchemaStatus?) {
        let reason = Self.reason(status)
        isOpen = Atomic(reason == nil)
        blocked = Mutex(reason)
    }

    private static func reason(_ status: SchemaStatus?) -> Blocked? {
        guard let status else { return nil }
        if status.isNewerThanBuild { return .tooNew(current: status.currentVersion, known: status.knownVersion) }
        if !status.pending.isEmpty { return .behind(current: status.currentVersion, needed: status.knownVersion) }
        return nil
    }

    /// Whether token operations may run.
    public var allowsOperations: Bool { isOpen.load(ordering: .acquiring) }

    /// Throws when the schema is not the one this build needs.
    ///
    /// - Throws: ``TokenStoreError/Code/misconfigured`` (run `tokenstore schema upgrade`)
    ///   when migrations are pending, ``TokenStoreError/Code/schemaTooNew`` when a newer
    ///   build migrated the store.
    @inline(__always)
    public func check(store: String, operation: String) throws(TokenStoreError) {
        if isOpen.load(ordering: .acquiring) { return }
        try refuse(store: store, operation: operation)
    }

    private func refuse(store: String, operation: String) throws(TokenStoreError) {
        switch blocked.withLock({ $0 }) {
        case nil:
            return
        case .behind(let current, let needed)?:
            throw TokenStoreError.schemaUpgradeRequired(store: store, operation: operation, current: current, needed: needed)
        case .tooNew(let current, let known)?:
            throw TokenStoreError(
                .schemaTooNew, store: store, operation: operation,
                message: "the store's schema is at version \(current) but this build knows versions up to \(known); "
                    + "upgrade swift-tokenstore (a newer version migrated this store)")
        }
    }

    /// Sets the gate from a freshly read status: closed while `status` is behind or too
    /// new, open otherwise (and for `nil`: the store migrated).
    public func update(_ status: SchemaStatus?) {
        let reason = Self.reason(status)
        blocked.withLock { $0 = reason }
        isOpen.store(reason == nil, ordering: .releasing)
    }

    /// Opens the gate after the schema was upgraded.
    public func reopen() { update(nil) }
}
