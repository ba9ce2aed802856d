/// A fixed-memory log-linear latency histogram (HDR style) in nanoseconds.
///
/// Values below 128 ns get a bucket each; above, every power of two is split into 128
/// equal buckets, so a bucket is at most 1/128 of its lower bound wide and a value read
/// back (the bucket's midpoint, clamped to the observed range) is within 0.4% of the
/// recorded one. The bucket array never grows, so a run of any length uses the same
/// memory (about 59 KB per histogram).
struct LatencyHistogram: Sendable, Equatable {
    /// Linear sub-buckets per power of two (2^7).
    static let subBucketBits = 7
    static let subBucketCount = 1 << subBucketBits
    /// Enough buckets for every non-negative `Int64` nanosecond value.
    static let bucketCount = subBucketCount + (63 - subBucketBits) * subBucketCount

    private(set) var counts: [UInt64]
    /// How many values were recorded.
    private(set) var count: UInt64 = 0
    /// The smallest recorded value (ns), or 0 when empty.
    private(set) var minNanoseconds: UInt64 = 0
    /// The largest recorded value (ns), or 0 when empty.
    private(set) var maxNanoseconds: UInt64 = 0
    /// The sum of recorded values (ns), for the mean; saturates rather than overflows.
    private(set) var totalNanoseconds: UInt64 = 0

    /// Creates an empty histogram.
    init() {
        counts = [UInt64](repeating: 0, count: Self.bucketCount)
    }

    /// The bucket that holds `value`.
    static func bucketIndex(_ value: UInt64) -> Int {
        if value < UInt64(subBucketCount) { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount  // >= subBucketBits
        let shift = exponent - subBucketBits
        let sub = Int(value >> UInt64(shift)) - subBucketCount
        return subBucketCount + shift * subBucketCount + sub
    }

    /// The smallest value of bucket `index`.
    static func lowerBound(ofBucket index: Int) -> UInt64 {
        if index < subBucketCount { return UInt64(index) }
        let shift = (index - subBucketCount) / subBucketCount
        let sub = (index - subBucketCount) % subBucketCount
        return UInt64(subBucketCount + sub) << UInt64(shift)
    }

    /// How many values bucket `index` spans.
    static func width(ofBucket index: Int) -> UInt64 {
        index < subBucketCount ? 1 : 1 << UInt64((index - subBucketCount) / subBucketCount)
    }

    /// Records one latency.
    mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return record(nanoseconds: 0) }
        let nanos = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let value = nanos.overflow ? UInt64(Int64.max) : min(nanos.partialValue + UInt64(attoseconds / 1_000_000_000), UInt64(Int64.max))
        record(nanoseconds: value)
    }

    /// Records one latency of `value` nanoseconds (clamped to `Int64.max`).
    mutating func record(nanoseconds value: UInt64) {
        let value = min(value, UInt64(Int64.max))
        counts[Self.bucketIndex(value)] += 1
        if count == 0 || value < minNanoseconds { minNanoseconds = value }
        if value > maxNanoseconds { maxNanoseconds = value }
        count += 1
        let sum = totalNanoseconds.addingReportingOverflow(value)
        totalNanoseconds = sum.overflow ? UInt64.max : sum.partialValue
    }

    /// Adds every value of `other` (the per-task histograms of one run are merged so).
    mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        for index in other.counts.indices where other.counts[index] != 0 {
            counts[index] += other.counts[index]
        }
        if count == 0 || other.minNanoseconds < minNanoseconds { minNanoseconds = other.minNanoseconds }
        maxNanoseconds = max(maxNanoseconds, other.maxNanoseconds)
        count += other.count
        let sum = totalNanoseconds.addingReportingOverflow(other.totalNanoseconds)
        totalNanoseconds = sum.overflow ? UInt64.max : sum.partialValue
    }

    /// The value at `quantile` (0...1) by nearest rank: the midpoint of the bucket that
    /// holds the ⌈quantile × count⌉-th smallest value, clamped to the recorded min and max.
    /// 0 when empty.
    func value(atQuantile quantile: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let clamped = min(max(quantile, 0), 1)
        let rank = max(1, UInt64((clamped * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for index in counts.indices where counts[index] != 0 {
            seen += counts[index]
            if seen >= rank {
                let middle = Self.lowerBound(ofBucket: index) + (Self.width(ofBucket: index) - 1) / 2
                return min(max(middle, minNanoseconds), maxNanoseconds)
            }
        }
        return maxNanoseconds
    }

    /// The mean in nanoseconds, 0 when empty.
    var meanNanoseconds: Double {
        count == 0 ? 0 : Double(totalNanoseconds) / Double(count)
    }

    /// The non-empty buckets in ascending order: lower bound, exclusive upper bound (ns), count.
    var nonEmptyBuckets: [(lower: UInt64, upper: UInt64, count: UInt64)] {
        counts.indices.compactMap { index in
            let count = counts[index]
            guard count != 0 else { return nil }
            let lower = Self.lowerBound(ofBucket: index)
            return (lower, lower + Self.width(ofBucket: index), count)
        }
    }
}
