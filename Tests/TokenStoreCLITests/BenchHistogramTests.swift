import Foundation
import Testing

@testable import TokenStoreCLI

@Suite(.inProcessTimeLimit) struct BenchHistogramTests {
    /// Log-uniform samples from 1 ns to about 10 s, the range a bench sees.
    static func samples(_ count: Int, seed: UInt64) -> [UInt64] {
        var random = BenchRandom(seed: seed)
        return (0..<count).map { _ in
            let exponent = Double(random.next() % 1_000_000) / 1_000_000 * 10
            return UInt64(pow(10, exponent))
        }
    }

    @Test func everyValueFallsInsideItsBucketWhichIsNarrow() {
        for value in Self.samples(20_000, seed: 1) + [0, 1, 127, 128, 129, 255, 256, UInt64(Int64.max)] {
            let index = LatencyHistogram.bucketIndex(value)
            let lower = LatencyHistogram.lowerBound(ofBucket: index)
            let width = LatencyHistogram.width(ofBucket: index)
            #expect(index >= 0 && index < LatencyHistogram.bucketCount)
            #expect(lower <= value && value - lower < width)
            #expect(Double(width - 1) <= Double(max(lower, 1)) / 128)
        }
    }

    @Test(arguments: [1 as UInt64, 7, 42])
    func percentilesMatchASortedArrayWithinOnePercent(seed: UInt64) {
        let values = Self.samples(50_000, seed: seed)
        var histogram = LatencyHistogram()
        for value in values { histogram.record(nanoseconds: value) }
        let sorted = values.sorted()
        #expect(histogram.count == UInt64(values.count))
        #expect(histogram.minNanoseconds == sorted.first)
        #expect(histogram.maxNanoseconds == sorted.last)
        for quantile in [0.0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let rank = max(1, Int((quantile * Double(sorted.count)).rounded(.up)))
            let exact = Double(sorted[rank - 1])
            let estimate = Double(histogram.value(atQuantile: quantile))
            #expect(abs(estimate - exact) <= exact * 0.01, "q=\(quantile): \(estimate) vs \(exact)")
        }
        let mean = Double(values.reduce(0, +)) / Double(values.count)
        #expect(abs(histogram.meanNanoseconds - mean) <= mean * 1e-9)
    }

    @Test func smallValuesAreExact() {
        var histogram = LatencyHistogram()
        for value in [5, 3, 9, 3, 100] as [UInt64] { histogram.record(nanoseconds: value) }
        #expect(histogram.value(atQuantile: 0.5) == 5)
        #expect(histogram.value(atQuantile: 0.2) == 3)
        #expect(histogram.value(atQuantile: 1) == 100)
        #expect(histogram.nonEmptyBuckets.map(\.count) == [2, 1, 1, 1])
    }

    @Test func mergingEqualsRecordingEverythingInOne() {
        let values = Self.samples(10_000, seed: 3)
        var whole = LatencyHistogram()
        var first = LatencyHistogram()
        var second = LatencyHistogram()
        for (index, value) in values.enumerated() {
            whole.record(nanoseconds: value)
            if index % 3 == 0 { first.record(nanoseconds: value) } else { second.record(nanoseconds: value) }
        }
        var merged = LatencyHistogram()
        merged.merge(second)
        merged.merge(first)
        merged.merge(LatencyHistogram())
        #expect(merged == whole)
    }

    @Test func durationsAreRecordedInNanoseconds() {
        var histogram = LatencyHistogram()
        histogram.record(.microseconds(1500))
        histogram.record(.seconds(2))
        histogram.record(.nanoseconds(-5))
        #expect(histogram.minNanoseconds == 0)
        #expect(histogram.maxNanoseconds == 2_000_000_000)
        let median = Double(histogram.value(atQuantile: 0.5))
        #expect(abs(median - 1_500_000) <= 1_500_000 * 0.01)
    }

    @Test func anEmptyHistogramReportsZeros() {
        let histogram = LatencyHistogram()
        #expect(histogram.count == 0)
        #expect(histogram.value(atQuantile: 0.99) == 0)
        #expect(histogram.meanNanoseconds == 0)
        #expect(histogram.nonEmptyBuckets.isEmpty)
    }

    @Test func memoryDoesNotGrowWithTheNumberOfValues() {
        var histogram = LatencyHistogram()
        let before = histogram.counts.count
        for value in Self.samples(100_000, seed: 9) { histogram.record(nanoseconds: value) }
        #expect(histogram.counts.count == before)
        #expect(before == LatencyHistogram.bucketCount)
    }
}
