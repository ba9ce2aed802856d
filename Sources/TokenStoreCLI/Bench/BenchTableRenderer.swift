/// The plain-text report: a legend of stores, then one row per operation and store
/// (stores of an operation on adjacent rows), then errors and clean-up notes.
enum BenchTableRenderer {
    /// The column titles, in order.
    static let columns = ["operation", "store", "ops/s", "p50(µs)", "p90(µs)", "p99(µs)", "max(µs)", "cpu/op(µs)", "count", "errors"]

    static func render(_ results: [BenchStoreResult], settings: BenchSettings, interrupted: Bool) -> String {
        var lines: [String] = []
        lines.append(
            "tokenstore bench: \(settings.concurrency) task(s), \(settings.budget) per operation, "
                + "warm-up \(settings.warmup), \(settings.keyCount) access-token keys")
        lines.append("")
        lines.append("Stores:")
        for (index, result) in results.enumerated() {
            lines.append("  \(index + 1)  \(result.store)")
        }
        lines.append("")
        var rows: [[String]] = [columns]
        for operation in settings.operations {
            for (index, result) in results.enumerated() {
                guard let measured = result.operations.first(where: { $0.operation == operation }) else { continue }
                let histogram = measured.histogram
                rows.append([
                    operation.rawValue, "\(index + 1):\(BenchFormat.scheme(of: result.store))",
                    BenchFormat.rate(measured.operationsPerSecond),
                    BenchFormat.micros(histogram.value(atQuantile: 0.5)),
                    BenchFormat.micros(histogram.value(atQuantile: 0.9)),
                    BenchFormat.micros(histogram.value(atQuantile: 0.99)),
                    BenchFormat.micros(histogram.maxNanoseconds),
                    BenchFormat.micros(measured.cpuNanosecondsPerOperation),
                    String(measured.count), String(measured.errors),
                ])
            }
        }
        lines.append(contentsOf: table(rows))
        var notes: [String] = []
        for (index, result) in results.enumerated() {
            let label = "store \(index + 1)"
            if let failure = result.failure { notes.append("\(label): \(failure)") }
            for measured in result.operations where measured.errors > 0 {
                notes.append(
                    "\(label): \(measured.errors) \(measured.operation.rawValue) error(s); first: \(measured.firstError ?? "?")")
            }
            if result.cleanupFailures > 0 {
                notes.append(
                    "\(label): clean-up could not delete \(result.cleanupFailures) bench token(s) of provider "
                        + "\(result.provider) (request tokens expire within 10 minutes); first: \(result.cleanupError ?? "?")")
            }
        }
        if interrupted { notes.append("interrupted: the figures cover the part that ran; bench tokens were cleaned up") }
        if !notes.isEmpty {
            lines.append("")
            lines.append(contentsOf: notes)
        }
        return lines.joined(separator: "\n")
    }

    /// Left-aligned text columns, right-aligned numbers, two spaces between.
    static func table(_ rows: [[String]]) -> [String] {
        guard let header = rows.first else { return [] }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { column in
                let cell = row[column]
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column < 2 ? cell + pad : pad + cell
            }
            .joined(separator: "  ")
            .replacing(/\s+$/, with: "")
        }
    }
}
