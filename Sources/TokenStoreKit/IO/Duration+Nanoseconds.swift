extension Duration {
    /// The duration in whole nanoseconds (truncated), for system calls and clock arithmetic
    /// that count in nanoseconds. `Int64` holds about 292 years of them, far beyond any
    /// spin, poll or timeout here.
    package var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
