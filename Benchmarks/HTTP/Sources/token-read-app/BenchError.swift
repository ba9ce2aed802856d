/// A start-up problem of the benchmark app, with a sentence saying what to fix.
struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
