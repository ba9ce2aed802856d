import Foundation

/// Number and label formatting shared by the table and the picture.
enum BenchFormat {
    /// A latency in microseconds: `0.85`, `12.3`, `4521`.
    static func micros(_ nanoseconds: UInt64) -> String {
        let value = Double(nanoseconds) / 1000
        if value < 10 { return String(format: "%.2f", value) }
        if value < 1000 { return String(format: "%.1f", value) }
        return String(format: "%.0f", value)
    }

    /// Operations per second: `812345`, `95.2`.
    static func rate(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }

    /// A latency for an axis, with its unit: `100 ns`, `1 µs`, `10 ms`, `1 s`.
    static func axisLatency(micros: Double) -> String {
        func trim(_ number: Double) -> String {
            number == number.rounded() ? String(Int(number)) : String(format: "%g", number)
        }
        if micros < 1 { return trim(micros * 1000) + " ns" }
        if micros < 1000 { return trim(micros) + " µs" }
        if micros < 1_000_000 { return trim(micros / 1000) + " ms" }
        return trim(micros / 1_000_000) + " s"
    }

    /// The short name of a store for table rows: its scheme (`sqlite`, `memory`, ...).
    static func scheme(of url: String) -> String {
        guard let colon = url.firstIndex(of: ":") else { return url }
        return String(url[..<colon])
    }
}
