import CoreMetrics

/// The counter of token endpoint requests: sign-ins (code exchanges) and refreshes, by how
/// they ended. Names and dimensions are listed in Docs/metrics.md.
enum OAuth2Metrics {
    /// The counter's label.
    static let tokenRequestsLabel = "tokenstore_oauth2_token_requests_total"

    /// Counts one token request: `grant` is `authorization_code` or `refresh_token`, `host`
    /// the token endpoint's host, `outcome` `ok` or the error code (`invalid_grant`,
    /// `timed_out`, ...). Never a token, a client secret or a user.
    static func countTokenRequest(grant: String, host: String, outcome: String, factory: (any MetricsFactory)?) {
        Counter(
            label: tokenRequestsLabel, dimensions: [("grant", grant), ("host", host), ("outcome", outcome)],
            factory: factory ?? MetricsSystem.factory
        ).increment()
    }

    /// An error code as a dimension value: `invalid_grant`, `timed_out`.
    static func outcome(_ code: OAuth2Error.Code) -> String {
        String(code.description.map { $0 == " " ? "_" : $0 })
    }
}
