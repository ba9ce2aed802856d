import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreIO

#if canImport(Glibc)
    import Glibc
#endif

/// Durations beyond any sensible timeout (`.seconds(.max)` in a configuration) saturate
/// in the I/O arithmetic instead of trapping.
@Suite("Huge durations", .timeLimit(.minutes(5)))
struct HugeDurationTests {
    @Test("wholeNanoseconds saturates past Int64")
    func wholeNanosecondsSaturates() {
        #expect(Duration.seconds(Int64.max).wholeNanoseconds == .max)
        #expect(Duration.seconds(Int64.min).wholeNanoseconds == .min)
        #expect(Duration.seconds(9_223_372_037).wholeNanoseconds == .max)
        #expect(Duration.milliseconds(1500).wholeNanoseconds == 1_500_000_000)
        #expect(Duration.milliseconds(-1500).wholeNanoseconds == -1_500_000_000)
    }

    @Test("a parked wait whose deadline is centuries away still wakes on data")
    func parkedWaitWithAFarDeadline() async throws {
        let pair = try SocketPair()
        let writer = Thread {
            usleep(50_000)
            pair.send()
        }
        writer.start()
        try await SocketWaiter.shared.wait(
            for: .readable, on: pair.left, deadline: .now + .seconds(Int64.max / 2), spin: .microseconds(10),
            parkedPoll: .seconds(Int64.max / 2))
        var byte: UInt8 = 0
        #expect(Glibc.read(pair.left, &byte, 1) == 1)
    }
}
