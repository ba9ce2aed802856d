/// What one `tokenstore bench` run does for every store.
struct BenchSettings: Sendable, Equatable {
    /// The workloads, in the order they run.
    var operations: [BenchOperation]
    /// How much each workload runs, measured.
    var budget: BenchBudget
    /// How much each workload runs first, not measured.
    var warmup: BenchBudget
    /// How many tasks call the store at once.
    var concurrency: Int
    /// How many access tokens `get`, `put` and `mixed` spread over.
    var keyCount: Int

    /// Creates settings.
    init(
        operations: [BenchOperation], budget: BenchBudget, warmup: BenchBudget, concurrency: Int, keyCount: Int
    ) {
        self.operations = operations
        self.budget = budget
        self.warmup = warmup
        self.concurrency = concurrency
        self.keyCount = keyCount
    }
}
