import CoreMetrics
import Hummingbird

extension AuthorizationRoutes {
    /// Cookie names and policies, and where a denied sign-in returns to.
    public struct Configuration: Sendable {
        /// When cookies carry the `Secure` attribute.
        public enum SecureCookies: Sendable, Hashable {
            /// Secure unless the request's host is loopback (`localhost`, `127.0.0.0/8`,
            /// `::1`), where a development server speaks plain HTTP.
            case unlessLoopback
            /// Always (behind a TLS terminator that forwards to a loopback address, say).
            case always
            /// Never (plain HTTP on a private network; not recommended).
            case never
        }

        /// The session cookie's name (with ``Session/cookie``).
        public var sessionCookieName: String
        /// The name of the cookie that lists the flows this browser began (keyed hashes,
        /// no token).
        public var pendingCookieName: String
        /// When cookies are `Secure`.
        public var secureCookies: SecureCookies
        /// The app's page a denied sign-in returns to, with `sign_in=denied` in its query,
        /// and the "back" link of error pages.
        public var appPath: String
        /// How many pending flows (tabs) of one browser are remembered at once; the oldest
        /// is forgotten past it, and its callback must start again.
        public var maximumPendingFlows: Int
        /// Where ``SignInMetrics`` go; `nil` is the factory `MetricsSystem.bootstrap` set.
        public var metricsFactory: (any MetricsFactory)?

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - sessionCookieName: The session cookie's name (`tokenstore_session`).
        ///   - pendingCookieName: The pending-flows cookie's name (`tokenstore_pending`).
        ///   - secureCookies: When cookies are `Secure` (unless the host is loopback).
        ///   - appPath: Where a denied sign-in returns to (`/`); a local path.
        ///   - maximumPendingFlows: Pending flows remembered per browser (8), at least 1.
        ///   - metricsFactory: Where the sign-in counter goes (the bootstrapped factory by default).
        public init(
            sessionCookieName: String = "tokenstore_session",
            pendingCookieName: String = "tokenstore_pending",
            secureCookies: SecureCookies = .unlessLoopback,
            appPath: String = "/",
            maximumPendingFlows: Int = 8,
            metricsFactory: (any MetricsFactory)? = nil
        ) {
            self.sessionCookieName = sessionCookieName
            self.pendingCookieName = pendingCookieName
            self.secureCookies = secureCookies
            self.appPath = LocalPath.isLocal(appPath) ? appPath : "/"
            self.maximumPendingFlows = max(1, maximumPendingFlows)
            self.metricsFactory = metricsFactory
        }

        /// Whether a cookie set in answer to `request` gets the `Secure` attribute under
        /// ``secureCookies``: for the app's own cookies, so they follow the same rule.
        ///
        /// - Parameter request: The request being answered.
        /// - Returns: `true` unless the policy or a loopback host says otherwise.
        public func cookiesAreSecure(for request: Request) -> Bool {
            switch secureCookies {
            case .always: true
            case .never: false
            case .unlessLoopback: !SessionCookie.isLoopback(request)
            }
        }
    }
}
