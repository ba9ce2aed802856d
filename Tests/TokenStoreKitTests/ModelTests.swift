import Foundation
import Testing
import TokenStoreKit
import TokenStoreTesting

@Suite("AccessTokenKey order", .inProcessTimeLimit)
struct AccessTokenKeyTests {
    @Test("keys order by the UTF-8 bytes of provider, then user id", arguments: [
        (("a", "z"), ("b", "")),
        (("a", ""), ("a", "0")),
        (("a", "zzz"), ("ab", "")),
        (("p", "Z"), ("p", "a")),
        (("p", "z"), ("p", "é")),
        // U+FF61 is EF BD A1 in UTF-8 and sorts before the emoji (F0 ...), although in
        // UTF-16 the emoji's surrogate D83D sorts first.
        (("p", "\u{FF61}"), ("p", "😀")),
        (("P", "z"), ("p", "")),
        (("p", "10"), ("p", "9")),
    ])
    func ordered(lower: (String, String), higher: (String, String)) {
        let low = AccessTokenKey(provider: lower.0, userID: lower.1)
        let high = AccessTokenKey(provider: higher.0, userID: higher.1)
        #expect(low < high)
        #expect(!(high < low))
        #expect(!(low < low))
        #expect([high, low].sorted() == [low, high])
    }

    @Test("equal keys are equal and hash alike")
    func equality() {
        let a = AccessTokenKey(provider: "p", userID: "u")
        let b = AccessTokenKey(provider: "p", userID: "u")
        #expect(a == b && !(a < b) && Set([a, b]).count == 1)
        #expect(a.description == "p/u")
    }
}

@Suite("TokenTimestamp", .inProcessTimeLimit)
struct TokenTimestampTests {
    @Test("milliseconds roundtrip exactly", arguments: [
        Int64(0), 1, -1, 999, 1_000, 1_700_000_000_123, -62_135_596_800_000, 253_402_300_799_999, 4_102_444_800_001,
    ])
    func roundTrip(milliseconds: Int64) {
        let date = Date(milliseconds: milliseconds)
        #expect(TokenTimestamp.milliseconds(date) == milliseconds)
        #expect(TokenTimestamp.normalized(date) == date)
    }

    @Test("dates round to the nearest millisecond")
    func rounding() {
        let base = Date(milliseconds: 1_700_000_000_000)
        #expect(TokenTimestamp.milliseconds(base.addingTimeInterval(0.0004)) == 1_700_000_000_000)
        #expect(TokenTimestamp.milliseconds(base.addingTimeInterval(0.0006)) == 1_700_000_000_001)
        #expect(TokenTimestamp.normalized(TokenTimestamp.normalized(base.addingTimeInterval(0.0123456)))
            == TokenTimestamp.normalized(base.addingTimeInterval(0.0123456)))
    }

    @Test("models normalize their dates")
    func models() {
        let odd = Date(timeIntervalSince1970: 1_700_000_000.123456)
        var token = AccessToken(provider: "p", userID: "u", token: "t", secret: "s", createdAt: odd)
        #expect(TokenTimestamp.milliseconds(token.createdAt) == 1_700_000_000_123)
        #expect(token.updatedAt == token.createdAt)
        token.updatedAt = odd.addingTimeInterval(0.0009)
        #expect(token.updatedAt == Date(milliseconds: 1_700_000_000_124))
        let request = RequestToken(provider: "p", token: "t", secret: "s", createdAt: odd, timeToLive: .milliseconds(1500))
        #expect(TokenTimestamp.milliseconds(request.expiresAt) == 1_700_000_001_623)
        #expect(!request.isExpired(at: Date(milliseconds: 1_700_000_001_622)))
        #expect(request.isExpired(at: Date(milliseconds: 1_700_000_001_623)))
    }
}

@Suite("ManualTokenClock", .inProcessTimeLimit)
struct ManualTokenClockTests {
    @Test("moves only when told")
    func moves() {
        let clock = ManualTokenClock()
        let start = clock.now
        #expect(clock.clock.now() == start)
        clock.advance(by: .seconds(90))
        #expect(clock.now == start.addingTimeInterval(90))
        clock.advance(by: .milliseconds(-500))
        #expect(clock.clock.now() == start.addingTimeInterval(89.5))
        clock.set(Date(milliseconds: 5))
        #expect(clock.now == Date(milliseconds: 5))
    }
}
