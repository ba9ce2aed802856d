/// How many access tokens a store holds for each provider, from
/// ``TokenStore/countAccessTokensByProvider()``.
public struct AccessTokenCounts: Sendable, Hashable {
    /// The number of access tokens per provider; providers without tokens are absent.
    public var byProvider: [String: Int]

    /// Creates counts; providers counted zero times are dropped.
    public init(byProvider: [String: Int]) {
        self.byProvider = byProvider.filter { $0.value != 0 }
    }

    /// The number of access tokens of all providers (clamped at `Int.max`).
    public var total: Int {
        byProvider.values.reduce(0) { sum, count in
            let (added, overflow) = sum.addingReportingOverflow(count)
            return overflow ? Int.max : added
        }
    }

    /// Adds one token of `provider`.
    package mutating func add(_ provider: String) {
        let (added, overflow) = byProvider[provider, default: 0].addingReportingOverflow(1)
        byProvider[provider] = overflow ? Int.max : added
    }

    /// Counts `tokens` by provider.
    public init(counting tokens: some Sequence<AccessToken>) {
        var counts = AccessTokenCounts(byProvider: [:])
        for token in tokens { counts.add(token.provider) }
        self = counts
    }

    /// Counts the providers of `keys`.
    public init(countingKeys keys: some Sequence<AccessTokenKey>) {
        var counts = AccessTokenCounts(byProvider: [:])
        for key in keys { counts.add(key.provider) }
        self = counts
    }
}
