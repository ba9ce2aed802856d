import CoreMetrics

/// The sign-in counter the routes report to swift-metrics (the app bootstraps a backend;
/// without one nothing is recorded).
///
/// `tokenstore_sign_ins_total`, a counter with the dimensions `provider` (the flow's
/// provider id) and `outcome`: `ok`, `denied`, `start_again` (unknown, expired, used or
/// foreign callback), `provider_unavailable`, `store_unavailable`, `internal_error`.
/// Never a user id, token or session.
public enum SignInMetrics {
    /// The counter's label.
    public static let signInsLabel = "tokenstore_sign_ins_total"

    static func record(_ outcome: String, provider: String, factory: (any MetricsFactory)?) {
        Counter(
            label: signInsLabel, dimensions: [("provider", provider), ("outcome", outcome)],
            factory: factory ?? MetricsSystem.factory
        ).increment()
    }
}

extension SignInFailure {
    /// The `outcome` dimension of ``SignInMetrics``.
    var outcome: String {
        switch self {
        case .startAgain, .foreignCallback: "start_again"
        case .denied: "denied"
        case .providerUnavailable: "provider_unavailable"
        case .storeUnavailable: "store_unavailable"
        case .internalError: "internal_error"
        }
    }
}
