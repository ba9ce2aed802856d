/// What one `tokenstore bench` run does for every store.
public struct BenchSettings: Sendable, Equatable {
    /// The workloads, in the order they run.
    public var operations: [BenchOperation]
    /// How much each workload runs, measured.
    public var budget: BenchBudget
    /// How much each workload runs first, not measured.
    public var warmup: BenchBudget
    /// How many tasks call the store at once.
    public var concurrency: Int
    /// How many access tokens `get`, `put` and `mixed` spread over.
    public var keyCount: Int

    /// Creates settings.
    public init(
        operations: [BenchOperation], budget: BenchBudget, warmup: BenchBudget, concurrency: Int, keyCount: Int
    ) {
        self.operations = operations
        self.budget = budget
        self.warmup = warmup
        self.concurrency = concurrency
        self.keyCount = keyCount
    }
}
