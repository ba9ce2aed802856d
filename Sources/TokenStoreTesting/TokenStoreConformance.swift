// INTERFACE STUB: implemented by the store-kit work. The signatures are the contract the
// driver test suites code against.
import Testing
import TokenStoreKit

/// The conformance suite every ``TokenStore`` driver runs, ours and third parties'.
///
/// ```swift
/// @Test func conformance() async throws {
///     try await TokenStoreConformance(name: "sqlite") { clock in
///         try await SQLiteTokenStore(path: dir + "/tokens.db", configuration: .init(clock: clock))
///     }.run()
/// }
/// ```
///
/// The suite never assumes an empty store: every case works under its own random provider
/// names and token prefixes, and counts are checked as differences.
public struct TokenStoreConformance: Sendable {
    /// What the driver under test can do beyond the contract.
    public struct Capabilities: Sendable {
        /// A URL that another process can open to reach the same storage as the stores
        /// `makeStore` returns. When set, the suite races `take` across processes.
        public var crossProcessURL: String?
        /// The worker executable for cross-process cases; `nil` looks for
        /// `tokenstore-test-worker` beside the test binary.
        public var workerExecutable: String?

        public init(crossProcessURL: String? = nil, workerExecutable: String? = nil) {
            self.crossProcessURL = crossProcessURL
            self.workerExecutable = workerExecutable
        }
    }

    /// Creates the suite for a driver. `makeStore` returns a store reading time from the
    /// given clock; it is called once per case and may return stores over the same storage.
    public init(
        name: String,
        capabilities: Capabilities = Capabilities(),
        makeStore: @escaping @Sendable (_ clock: TokenClock) async throws -> any TokenStore
    ) {}

    /// Runs every case, recording failures at `sourceLocation`.
    public func run(sourceLocation: SourceLocation = #_sourceLocation) async throws {}
}
