import Testing

@testable import TokenStoreIO

@Suite(.inProcessTimeLimit) struct ReplySpinTests {
    @Test func budgetFollowsObservedReplies() {
        var spin = ReplySpin()
        let initial = spin.budget
        #expect(initial > .zero && initial <= ReplySpin.ceiling)
        for _ in 0..<64 { spin.record(.microseconds(20)) }
        // 1.5 x 20 us + 20 us margin, within rounding.
        #expect(spin.budget < initial)
        #expect(spin.budget >= .microseconds(45) && spin.budget <= .microseconds(55))
        for _ in 0..<64 { spin.record(.microseconds(250)) }
        #expect(spin.budget == ReplySpin.ceiling)
    }

    @Test func slowRepliesSwitchSpinningOffAndFastOnesBringItBack() {
        var spin = ReplySpin()
        for _ in 0..<64 { spin.record(.milliseconds(5)) }
        #expect(spin.budget == .zero)
        for _ in 0..<64 { spin.record(.microseconds(40)) }
        #expect(spin.budget > .zero && spin.budget < ReplySpin.ceiling)
    }

    @Test func oneStallDoesNotSwitchSpinningOff() {
        var spin = ReplySpin()
        for _ in 0..<64 { spin.record(.microseconds(50)) }
        spin.record(.seconds(2))
        #expect(spin.budget > .zero)
    }
}
