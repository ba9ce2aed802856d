import Foundation

/// How long a phase runs: for a time, or for a number of operations.
enum BenchBudget: Sendable, Equatable, CustomStringConvertible {
    /// Until the time has passed (operations that started before the end finish).
    case duration(Duration)
    /// Exactly this many operations, shared by all tasks.
    case count(Int)

    /// Parses a warm-up value: `2s`, `500ms` or `1.5s` for a time, a plain integer for a
    /// number of operations.
    ///
    /// - Throws: ``CLIFailure`` for anything else or a negative value.
    static func parseWarmup(_ text: String) throws -> BenchBudget {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let failure = CLIFailure(
            "--warmup '\(text)' is neither a number of operations (e.g. 200) nor a time (e.g. 2s, 500ms)")
        if let operations = Int(trimmed) {
            guard operations >= 0 else { throw failure }
            return .count(operations)
        }
        for (suffix, scale) in [("ms", 0.001), ("s", 1.0)] where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count)), number.isFinite, number >= 0,
                number * scale <= 86_400
            else { throw failure }
            return .duration(.milliseconds(Int64((number * scale * 1000).rounded())))
        }
        throw failure
    }

    /// Whether the budget holds no work at all.
    var isEmpty: Bool {
        switch self {
        case .duration(let duration): duration <= .zero
        case .count(let count): count <= 0
        }
    }

    var description: String {
        switch self {
        case .duration(let duration): BenchBudget.format(duration)
        case .count(let count): "\(count) ops"
        }
    }

    /// `1.5 s`, `200 ms`.
    static func format(_ duration: Duration) -> String {
        let seconds = BenchBudget.seconds(duration)
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.2f s", seconds)
    }

    /// `duration` in seconds.
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
