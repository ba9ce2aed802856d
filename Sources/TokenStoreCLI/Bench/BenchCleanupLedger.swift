import Synchronization

/// The request tokens a run may have left in the store (a take that failed, a round cut
/// short by the deadline or an interruption, a dance step that broke in the middle); the
/// clean-up takes each of them again. Access tokens need no ledger: they are the fixed
/// keys of the range.
final class BenchCleanupLedger: Sendable {
    private let names = Mutex<[String]>([])

    func add(_ name: String) { names.withLock { $0.append(name) } }

    func add<Names: Sequence<String>>(contentsOf more: Names) { names.withLock { $0.append(contentsOf: more) } }

    /// Empties the ledger and returns what it held.
    func drain() -> [String] {
        names.withLock { names in
            defer { names.removeAll() }
            return names
        }
    }
}
