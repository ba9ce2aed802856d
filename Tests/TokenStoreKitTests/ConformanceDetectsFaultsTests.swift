import Foundation
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreTesting

/// A store that breaks one rule of the contract, to prove the suite notices.
final class FaultyStore: TokenStore {
    enum Fault: String, CaseIterable, Sendable {
        case takeKeepsToken, ignoresExpiry, listingSkipsPageEdge, overwriteResetsCreatedAt
        case ifNewerAlwaysWrites, deleteReportsFalse, secretInErrors, closeIsNoOp, countsIgnoreDeletes
        case takeRace, racyIfNewer
        case replaceIgnoresVersion, leaseNotExclusive, leaseNeverExpires, saveReleasesLease
    }

    let base: InMemoryTokenStore
    let fault: Fault
    let closed = Atomic<Bool>(false)
    var displayName: String { "faulty:\(fault.rawValue)" }

    init(fault: Fault, clock: TokenClock) {
        self.fault = fault
        // Ignoring expiry: the base reads the real clock, not the suite's manual one.
        self.base = InMemoryTokenStore(clock: fault == .ignoresExpiry ? .system : clock)
    }

    private func check(_ operation: String) throws {
        if fault != .closeIsNoOp, closed.load(ordering: .relaxed) {
            throw TokenStoreError(.closed, store: displayName, operation: operation, message: "closed")
        }
    }

    func saveRequestToken(_ token: RequestToken) async throws {
        try check("saveRequestToken")
        if fault == .secretInErrors, token.token.hasSuffix("err") {
            throw TokenStoreError(.internal, store: displayName, operation: "saveRequestToken", message: "bad \(token.secret)")
        }
        try await base.saveRequestToken(token)
    }

    func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        try check("takeRequestToken")
        if fault == .takeKeepsToken {
            let token = try await base.takeRequestToken(oauthToken)
            if let token { try await base.saveRequestToken(token) }
            return token
        }
        if fault == .takeRace {
            // Read, yield, then delete: two racers can both read it.
            let page = try await base.listRequestTokens(after: nil, limit: 100_000)
            let found = page.tokens.first { $0.token == oauthToken }
            await Task.yield()
            _ = try await base.takeRequestToken(oauthToken)
            return found
        }
        return try await base.takeRequestToken(oauthToken)
    }

    func purgeExpiredRequestTokens() async throws -> Int {
        try check("purgeExpiredRequestTokens")
        return try await base.purgeExpiredRequestTokens()
    }

    func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try check("listRequestTokens")
        return try await base.listRequestTokens(after: cursor, limit: limit)
    }

    func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try check("saveAccessToken")
        switch fault {
        case .overwriteResetsCreatedAt:
            _ = try await base.deleteAccessToken(for: token.key)
            return try await base.saveAccessToken(token, policy: policy)
        case .ifNewerAlwaysWrites:
            return try await base.saveAccessToken(token, policy: .overwrite)
        case .racyIfNewer:
            // Read, wait, then write: not one atomic step. Newer tokens wait less, so older
            // ones that read the same stored token land last.
            let existing = try await base.accessToken(for: token.key)
            if let existing {
                let newer = Int(token.updatedAt.timeIntervalSince(existing.updatedAt).rounded())
                try await Task.sleep(for: .milliseconds(max(0, 60 - 2 * newer)))
            }
            if policy == .ifNewer, let existing, token.updatedAt <= existing.updatedAt { return false }
            return try await base.saveAccessToken(token, policy: .overwrite)
        case .secretInErrors where token.userID == "err":
            throw TokenStoreError(.internal, store: displayName, operation: "saveAccessToken", message: "bad \(token.secret)")
        default:
            return try await base.saveAccessToken(token, policy: policy)
        }
    }

    func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        try check("accessToken")
        return try await base.accessToken(for: key)
    }

    func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        try check("deleteAccessToken")
        let deleted = try await base.deleteAccessToken(for: key)
        return fault == .deleteReportsFalse ? false : deleted
    }

    func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try check("listAccessTokens")
        var page = try await base.listAccessTokens(after: cursor, limit: limit)
        if fault == .listingSkipsPageEdge, limit > 1, page.tokens.count == limit {
            page.tokens.removeLast()
            page.nextCursor = page.tokens.last.map { _ in page.nextCursor } ?? page.nextCursor
        }
        return page
    }

    func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool {
        try check("saveTokenSet")
        if fault == .saveReleasesLease, let stored = try await base.tokenSet(for: tokenSet.key) {
            // A save through the compare-and-set, which also drops the lease.
            return try await base.replaceTokenSet(tokenSet, ifVersion: stored.version) != nil
        }
        return try await base.saveTokenSet(tokenSet, policy: policy)
    }
    func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? {
        try check("tokenSet")
        return try await base.tokenSet(for: key)
    }
    func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool {
        try check("deleteTokenSet")
        return try await base.deleteTokenSet(for: key)
    }
    func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage {
        try check("listTokenSets")
        return try await base.listTokenSets(after: cursor, limit: limit)
    }
    func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? {
        try check("replaceTokenSet")
        if fault == .replaceIgnoresVersion, let stored = try await base.tokenSet(for: tokenSet.key) {
            return try await base.replaceTokenSet(tokenSet, ifVersion: stored.version)
        }
        return try await base.replaceTokenSet(tokenSet, ifVersion: expected)
    }
    func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool {
        try check("acquireRefreshLease")
        let granted = try await base.acquireRefreshLease(
            for: key, owner: owner, duration: fault == .leaseNeverExpires ? .seconds(3600) : duration)
        if fault == .leaseNotExclusive { return try await base.tokenSet(for: key) != nil }
        return granted
    }
    func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool {
        try check("releaseRefreshLease")
        return try await base.releaseRefreshLease(for: key, owner: owner)
    }
    func counts() async throws -> TokenCounts {
        try check("counts")
        var counts = try await base.counts()
        if fault == .countsIgnoreDeletes { counts.accessTokens = 1_000 }
        return counts
    }

    func schemaVersion() async throws -> Int {
        try check("schemaVersion")
        return 0
    }

    func close() async throws {
        closed.store(true, ordering: .relaxed)
    }
}

@Suite("The conformance suite catches broken drivers", .serverTimeLimit)
struct ConformanceDetectsFaultsTests {
    static let expectations: [(FaultyStore.Fault, String)] = [
        (.takeKeepsToken, "requestTokenTakeOnce"),
        (.ignoresExpiry, "requestTokenExpiry"),
        (.listingSkipsPageEdge, "accessTokenListingPages"),
        (.overwriteResetsCreatedAt, "accessTokenUpsert"),
        (.ifNewerAlwaysWrites, "accessTokenIfNewer"),
        (.deleteReportsFalse, "accessTokenGetDelete"),
        (.secretInErrors, "errorsNameStoreNotSecrets"),
        (.closeIsNoOp, "closeThenCall"),
        (.countsIgnoreDeletes, "counts"),
        (.takeRace, "concurrentTake"),
        (.racyIfNewer, "accessTokenConcurrentUpserts"),
        (.replaceIgnoresVersion, "tokenSetCompareAndSet"),
        (.leaseNotExclusive, "tokenSetRefreshLease"),
        (.leaseNeverExpires, "tokenSetRefreshLease"),
        (.saveReleasesLease, "tokenSetRefreshLease"),
    ]

    @Test("a fault makes its case fail", arguments: expectations)
    func faultIsCaught(fault: FaultyStore.Fault, caseName: String) async throws {
        let suite = TokenStoreConformance(name: "faulty") { clock in FaultyStore(fault: fault, clock: clock) }
        await withKnownIssue("\(fault) must be reported by \(caseName)") {
            try await suite.run(case: caseName)
        }
    }

    @Test("cross-process takes fail when workers cannot reach the storage or are missing")
    func crossProcessFailures() async throws {
        // Each worker opens its own private memory store: nobody wins any token.
        let unreachable = TokenStoreConformance(name: "memory", capabilities: .init(crossProcessURL: "memory:")) { clock in
            InMemoryTokenStore(clock: clock)
        }
        await withKnownIssue("workers over other storage must not find the tokens") {
            try await unreachable.run(case: "crossProcessTake")
        }
        let missing = TokenStoreConformance(
            name: "memory", capabilities: .init(crossProcessURL: "memory:", workerExecutable: "/nonexistent/worker")
        ) { clock in InMemoryTokenStore(clock: clock) }
        await withKnownIssue("a missing worker is reported") {
            try await missing.run(case: "crossProcessTake")
        }
    }

    @Test("an unknown case name is reported")
    func unknownCase() async throws {
        let suite = TokenStoreConformance(name: "memory") { clock in InMemoryTokenStore(clock: clock) }
        await withKnownIssue {
            try await suite.run(case: "noSuchCase")
        }
    }

    @Test("case names are unique and cover the contract")
    func caseNames() {
        let names = TokenStoreConformance.caseNames
        #expect(Set(names).count == names.count)
        for required in ["concurrentTake", "crossProcessTake", "requestTokenExpiry", "accessTokenListingUnderInserts", "hostileKeys"] {
            #expect(names.contains(required))
        }
    }
}
