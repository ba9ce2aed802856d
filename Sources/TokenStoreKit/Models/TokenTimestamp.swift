import Foundation

/// The time precision every store keeps: whole milliseconds since 1970.
///
/// Models round their dates on creation, so a token read back from any store is equal
/// to the token written.
public enum TokenTimestamp {
    /// `date` rounded to the nearest whole millisecond.
    public static func normalized(_ date: Date) -> Date {
        Date(milliseconds: milliseconds(date))
    }

    /// Milliseconds since 1970, rounded to the nearest (so a normalized date maps back to
    /// the same integer despite binary floating point).
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}

extension Date {
    /// The date `milliseconds` after 1970-01-01T00:00:00Z.
    public init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
