/// The one check of pool sizes and timeouts that every driver with a pool runs, so a bad
/// value gets the same message whichever store it was given to.
///
/// Messages name the URL parameter (`pool_max`, `operation_timeout`), which is what a user
/// edits; a value set in Swift is checked the same way.
package enum ConnectionLimits {
    /// Pool ceilings a configuration may ask for.
    package static let maxConnectionsRange = 1...10_000

    /// Timeouts a configuration may ask for: above zero, at most an hour.
    package static let longestTimeout = Duration.seconds(3600)

    /// Throws `misconfigured` for a pool floor or ceiling out of range, or a floor above
    /// the ceiling.
    package static func validate(
        minConnections: Int, maxConnections: Int, store: String
    ) throws(TokenStoreError) {
        guard maxConnectionsRange.contains(maxConnections) else {
            throw misconfigured(
                "pool_max must be between \(maxConnectionsRange.lowerBound) and \(maxConnectionsRange.upperBound), got \(maxConnections)",
                store: store)
        }
        guard minConnections >= 0, minConnections <= maxConnections else {
            throw misconfigured(
                "pool_min must be between 0 and pool_max (\(maxConnections)), got \(minConnections)", store: store)
        }
    }

    /// Throws `misconfigured` unless every timeout is above zero and at most an hour.
    /// - Parameter timeouts: pairs of URL parameter name and value.
    package static func validate(
        timeouts: [(name: String, value: Duration)], store: String
    ) throws(TokenStoreError) {
        for (name, value) in timeouts where value <= .zero || value > longestTimeout {
            throw misconfigured("\(name) must be above 0 and at most 3600 seconds, got \(value)", store: store)
        }
    }

    /// Parses a URL parameter given in seconds (fractions allowed), with the same range and
    /// message as ``validate(timeouts:store:)``; `nil` when the parameter is absent.
    package static func seconds(
        _ name: String, in parameters: [String: String], store: String
    ) throws(TokenStoreError) -> Duration? {
        guard let text = parameters[name] else { return nil }
        guard let value = Double(text), value > 0, value <= 3600 else {
            throw misconfigured("\(name) must be above 0 and at most 3600 seconds, got '\(text)'", store: store)
        }
        return .milliseconds(Int64((value * 1000).rounded(.up)))
    }

    /// Parses a whole-number URL parameter within `range`; `nil` when absent.
    package static func count(
        _ name: String, in parameters: [String: String], range: ClosedRange<Int>, store: String
    ) throws(TokenStoreError) -> Int? {
        guard let text = parameters[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw misconfigured(
                "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'", store: store)
        }
        return value
    }

    private static func misconfigured(_ message: String, store: String) -> TokenStoreError {
        TokenStoreError(.misconfigured, store: store, operation: "open", message: message)
    }
}
