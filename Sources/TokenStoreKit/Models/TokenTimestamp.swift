import Foundation

/// The time precision and range every store keeps: whole milliseconds since 1970, from
/// 0001-01-01T00:00:00.000Z through 9999-12-31T23:59:59.999Z.
///
/// Models round their dates on creation, so a token read back from any store is equal
/// to the token written.
///
/// ## Range
///
/// The range is the one of four-digit years (ISO 8601, SQL `timestamp`, JavaScript), and
/// within it every whole millisecond survives the trip through `Date`'s binary floating
/// point exactly. A date outside it cannot be stored faithfully, so:
///
/// - **Constructing clamps.** Model initializers and property setters never trap or
///   throw: a date before the range becomes ``earliestMilliseconds``, one after it (also
///   `+infinity`, or `createdAt` plus an enormous time to live) becomes
///   ``latestMilliseconds``, and a NaN date becomes the Unix epoch (1970-01-01), which is
///   in the past, so a NaN expiry never keeps a request token alive.
/// - **Reading rejects.** A stored value outside the range was not written by a store
///   (which only writes clamped values): drivers report it as
///   ``TokenStoreError/Code/corruptedRecord`` naming the record, through
///   ``date(storedMilliseconds:)``.
public enum TokenTimestamp {
    /// 0001-01-01T00:00:00.000Z in milliseconds since 1970: the earliest date a token holds.
    public static let earliestMilliseconds: Int64 = -62_135_596_800_000
    /// 9999-12-31T23:59:59.999Z in milliseconds since 1970: the latest date a token holds.
    public static let latestMilliseconds: Int64 = 253_402_300_799_999

    /// The milliseconds a token's date can hold.
    public static var range: ClosedRange<Int64> { earliestMilliseconds...latestMilliseconds }

    /// `date` rounded to the nearest whole millisecond and clamped into ``range`` (a NaN
    /// date becomes the Unix epoch).
    public static func normalized(_ date: Date) -> Date {
        Date(milliseconds: milliseconds(date))
    }

    /// Milliseconds since 1970, rounded to the nearest (so a normalized date maps back to
    /// the same integer despite binary floating point) and clamped into ``range``; a NaN
    /// date gives 0. Never traps.
    public static func milliseconds(_ date: Date) -> Int64 {
        let value = date.timeIntervalSince1970 * 1000
        if value.isNaN { return 0 }
        // Both bounds are below 2^53, so they and every integer between them are exact
        // doubles: the comparisons are exact and the conversion below cannot overflow.
        if value <= Double(earliestMilliseconds) { return earliestMilliseconds }
        if value >= Double(latestMilliseconds) { return latestMilliseconds }
        return Int64(value.rounded())
    }

    /// The date of a stored millisecond value, or `nil` when it is outside ``range``
    /// (a damaged or foreign record: drivers report it as
    /// ``TokenStoreError/Code/corruptedRecord``).
    public static func date(storedMilliseconds milliseconds: Int64) -> Date? {
        range.contains(milliseconds) ? Date(milliseconds: milliseconds) : nil
    }

    /// Why a stored timestamp was refused, for a ``TokenStoreError`` message: names the
    /// field and the value (a number, never a secret) and the range.
    package static func outOfRangeProblem(field: String, value: Int64) -> String {
        "\(field) is \(value) ms since 1970, outside the dates a token can hold "
            + "(\(earliestMilliseconds)...\(latestMilliseconds), years 0001 to 9999)"
    }
}

extension Date {
    /// The date `milliseconds` after 1970-01-01T00:00:00Z.
    ///
    /// Any `Int64` gives a date (this never traps); a model initializer then clamps it
    /// into ``TokenTimestamp/range``. Decoders of stored values use
    /// ``TokenTimestamp/date(storedMilliseconds:)`` instead, which refuses values outside it.
    public init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
