extension Duration {
    /// The duration in whole nanoseconds (truncated), for system calls and clock arithmetic
    /// that count in nanoseconds. `Int64` holds about 292 years of them; a longer duration
    /// (a timeout configured as `.seconds(.max)`) saturates instead of trapping.
    package var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflowAdding) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow || overflowAdding { return seconds < 0 ? .min : .max }
        return total
    }
}
