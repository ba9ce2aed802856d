/// SplitMix64: a fast generator for choosing keys inside the timed loop, where the
/// system generator (a `getrandom` call each time on Linux) would cost more than a
/// memory-store operation. Not for secrets; each task seeds its own from the system
/// generator.
struct BenchRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Seeds from the system generator.
    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    /// A fixed seed, for tests.
    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (`bound` > 0); the tiny modulo bias does not matter for
    /// picking benchmark keys.
    mutating func index(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
