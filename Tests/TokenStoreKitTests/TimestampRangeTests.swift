import Foundation
import Testing
import TokenStoreKit

/// Dates outside what a store can hold: constructing clamps (never traps), stored values
/// outside the range are refused by ``TokenTimestamp/date(storedMilliseconds:)``.
@Suite("Timestamp range", .timeLimit(.minutes(5)))
struct TimestampRangeTests {
    static let earliest = Date(milliseconds: TokenTimestamp.earliestMilliseconds)
    static let latest = Date(milliseconds: TokenTimestamp.latestMilliseconds)

    @Test("the bounds are 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z")
    func boundsAreTheFourDigitYears() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let first = try #require(calendar.date(from: DateComponents(year: 1, month: 1, day: 1)))
        let afterLast = try #require(calendar.date(from: DateComponents(year: 10000, month: 1, day: 1)))
        #expect(TokenTimestamp.milliseconds(first) == TokenTimestamp.earliestMilliseconds)
        #expect((afterLast.timeIntervalSince1970 * 1000).rounded() - 1 == Double(TokenTimestamp.latestMilliseconds))
        #expect(TokenTimestamp.milliseconds(afterLast) == TokenTimestamp.latestMilliseconds, "one past the end is clamped")
    }

    @Test("every millisecond near the bounds survives Date and back")
    func boundsRoundTrip() {
        for base in [TokenTimestamp.earliestMilliseconds, 0, TokenTimestamp.latestMilliseconds] {
            for offset in Int64(-5_000)...Int64(5_000) {
                let milliseconds = base + offset
                guard TokenTimestamp.range.contains(milliseconds) else { continue }
                #expect(TokenTimestamp.milliseconds(Date(milliseconds: milliseconds)) == milliseconds)
            }
        }
    }

    @Test(
        "access token dates outside the range are clamped, NaN is the epoch",
        arguments: [
            (1e17, TokenTimestamp.latestMilliseconds) as (Double, Int64), (-1e17, TokenTimestamp.earliestMilliseconds),
            (Double.infinity, TokenTimestamp.latestMilliseconds), (-Double.infinity, TokenTimestamp.earliestMilliseconds),
            (Double.nan, Int64(0)), (Double.greatestFiniteMagnitude, TokenTimestamp.latestMilliseconds),
            (9_223_372_036_854_775.807, TokenTimestamp.latestMilliseconds),
        ])
    func accessTokenClamps(seconds: Double, expected: Int64) {
        let date = Date(timeIntervalSince1970: seconds)
        var token = AccessToken(provider: "p", userID: "u", token: "t", secret: "s", createdAt: date, updatedAt: date)
        #expect(TokenTimestamp.milliseconds(token.createdAt) == expected)
        #expect(TokenTimestamp.milliseconds(token.updatedAt) == expected)
        token.createdAt = date
        token.updatedAt = date
        #expect(TokenTimestamp.milliseconds(token.createdAt) == expected)
        #expect(token.createdAt == Date(milliseconds: expected))
    }

    @Test("request token dates and times to live outside the range are clamped")
    func requestTokenClamps() {
        let now = Date()
        let forever = RequestToken(provider: "p", token: "t", secret: "s", createdAt: now, timeToLive: .seconds(Int64.max))
        #expect(forever.expiresAt == Self.latest)
        let backwards = RequestToken(provider: "p", token: "t", secret: "s", createdAt: now, timeToLive: .seconds(Int64.min))
        #expect(backwards.expiresAt == Self.earliest)
        #expect(backwards.isExpired(at: now))
        let huge = RequestToken(
            provider: "p", token: "t", secret: "s", createdAt: Date(timeIntervalSince1970: 1e17),
            timeToLive: .seconds(Int64.max))
        #expect(huge.createdAt == Self.latest)
        #expect(huge.expiresAt == Self.latest)
        var nan = RequestToken(
            provider: "p", token: "t", secret: "s", createdAt: Date(timeIntervalSince1970: .nan),
            expiresAt: Date(timeIntervalSince1970: .nan))
        #expect(nan.createdAt == Date(milliseconds: 0))
        #expect(nan.isExpired(at: now), "a NaN expiry never keeps a token alive")
        nan.expiresAt = Date(timeIntervalSince1970: -.infinity)
        #expect(nan.expiresAt == Self.earliest)
    }

    @Test("stored values outside the range are refused")
    func storedValuesOutsideTheRange() {
        for value in [Int64.max, Int64.min, TokenTimestamp.latestMilliseconds + 1, TokenTimestamp.earliestMilliseconds - 1] {
            #expect(TokenTimestamp.date(storedMilliseconds: value) == nil, "\(value)")
            #expect(TokenTimestamp.range.contains(TokenTimestamp.milliseconds(Date(milliseconds: value))))
        }
        for value in [TokenTimestamp.latestMilliseconds, TokenTimestamp.earliestMilliseconds, 0, 1_700_000_000_123] {
            #expect(TokenTimestamp.date(storedMilliseconds: value) == Date(milliseconds: value))
        }
    }
}
