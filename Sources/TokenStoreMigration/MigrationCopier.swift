import Foundation
import TokenStoreKit

/// One run of a ``TokenMigration``: the copy loops and the checkpoint they carry.
struct MigrationCopier {
    let migration: TokenMigration
    var state: MigrationCheckpoint
    let control: MigrationControl
    let checkpoint: @Sendable (MigrationCheckpoint) async throws -> Void
    let progress: @Sendable (MigrationProgress) -> Void
    let secrets: MigrationSecrets
    var total = 0
    var readThisRun = 0
    var lastSaved: MigrationCheckpoint?
    let started = ContinuousClock.now

    init(
        migration: TokenMigration, state: MigrationCheckpoint, control: MigrationControl,
        checkpoint: @escaping @Sendable (MigrationCheckpoint) async throws -> Void,
        progress: @escaping @Sendable (MigrationProgress) -> Void
    ) {
        self.migration = migration
        self.state = state
        self.control = control
        self.checkpoint = checkpoint
        self.progress = progress
        self.secrets = MigrationSecrets(
            handling: migration.secrets, keys: migration.keys, source: migration.source,
            sourceName: migration.sourceName)
    }

    mutating func run(resumed: Bool) async throws -> MigrationSummary {
        let resumedAfter = resumed ? state.counts.read : 0
        let counts = try await migration.source.counts()
        let kinds = migration.kinds
        total = (kinds.includesAccess ? counts.accessTokens : 0)
            + (kinds.includesTokenSets ? counts.tokenSets : 0)
            + (kinds.includesRequest ? counts.requestTokens : 0)
        if resumed { lastSaved = state }
        // A checkpoint of a release without token sets, past its access tokens: copy the
        // token sets now; the request tokens then continue after their own cursor.
        if state.owesTokenSets(kinds.includesTokenSets) { state.phase = .tokenSets }
        if state.phase == .accessTokens {
            if kinds.includesAccess, try await !copyAccessTokens() {
                return summary(resumedAfter: resumedAfter, interrupted: true)
            }
            state.phase = .tokenSets
        }
        if state.phase == .tokenSets {
            if kinds.includesTokenSets, try await !copyTokenSets() {
                return summary(resumedAfter: resumedAfter, interrupted: true)
            }
            state.tokenSetsDone = true
            state.phase = kinds.includesRequest ? .requestTokens : .finished
        }
        if state.phase == .requestTokens {
            if migration.kinds.includesRequest, try await !copyRequestTokens() {
                return summary(resumedAfter: resumedAfter, interrupted: true)
            }
            state.phase = .finished
        }
        return summary(resumedAfter: resumedAfter, interrupted: false)
    }

    private func summary(resumedAfter: Int, interrupted: Bool) -> MigrationSummary {
        MigrationSummary(
            counts: state.counts, resumedAfter: resumedAfter, readThisRun: readThisRun, interrupted: interrupted,
            checkpoint: lastSaved, seconds: Self.seconds(since: started))
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Copies access tokens after the checkpoint's cursor; `false` when stopped early.
    private mutating func copyAccessTokens() async throws -> Bool {
        let source = migration.source
        let limit = migration.batchSize
        var page = try await source.listAccessTokens(after: state.accessCursor?.accessTokenKey, limit: limit)
        while true {
            // Checked before the write: a record that does not open stops the run here.
            let prepared = try page.tokens.map(secrets.prepare)
            let next = page.nextCursor
            async let following = Self.readAccessTokens(source, after: next, limit: limit)
            if !migration.dryRun, !prepared.isEmpty {
                state.counts.accessWritten += try await migration.destination.saveAccessTokens(
                    prepared, policy: migration.policy)
            }
            state.counts.accessRead += page.tokens.count
            readThisRun += page.tokens.count
            if let cursor = next ?? page.tokens.last?.key { state.accessCursor = MigrationCheckpoint.Key(cursor) }
            try await commit(wrote: !page.tokens.isEmpty)
            guard next != nil else { return true }
            if control.isStopRequested { return false }
            guard let nextPage = try await following else { return true }
            page = nextPage
        }
    }

    /// Copies token sets after the checkpoint's cursor; `false` when stopped early.
    private mutating func copyTokenSets() async throws -> Bool {
        let source = migration.source
        let limit = migration.batchSize
        var page = try await source.listTokenSets(after: state.tokenSetCursor?.accessTokenKey, limit: limit)
        while true {
            let prepared = try page.tokenSets.map(secrets.prepare)
            let next = page.nextCursor
            async let following = Self.readTokenSets(source, after: next, limit: limit)
            if !migration.dryRun, !prepared.isEmpty {
                state.counts.tokenSetWritten += try await migration.destination.saveTokenSets(
                    prepared, policy: migration.policy)
            }
            state.counts.tokenSetRead += page.tokenSets.count
            readThisRun += page.tokenSets.count
            if let cursor = next ?? page.tokenSets.last?.key { state.tokenSetCursor = MigrationCheckpoint.Key(cursor) }
            try await commit(wrote: !page.tokenSets.isEmpty)
            guard next != nil else { return true }
            if control.isStopRequested { return false }
            guard let nextPage = try await following else { return true }
            page = nextPage
        }
    }

    /// Copies unexpired request tokens after the checkpoint's cursor; `false` when stopped early.
    private mutating func copyRequestTokens() async throws -> Bool {
        let source = migration.source
        let limit = migration.batchSize
        var page = try await source.listRequestTokens(after: state.requestCursor, limit: limit)
        while true {
            let now = Date()
            var prepared: [RequestToken] = []
            prepared.reserveCapacity(page.tokens.count)
            for token in page.tokens {
                guard token.expiresAt > now else {
                    state.counts.requestSkipped += 1
                    continue
                }
                prepared.append(try secrets.prepare(token))
            }
            let next = page.nextCursor
            async let following = Self.readRequestTokens(source, after: next, limit: limit)
            if !migration.dryRun, !prepared.isEmpty {
                state.counts.requestWritten += try await migration.destination.saveRequestTokens(prepared)
            }
            state.counts.requestRead += page.tokens.count
            readThisRun += page.tokens.count
            if let cursor = next ?? page.tokens.last?.token { state.requestCursor = cursor }
            try await commit(wrote: !page.tokens.isEmpty)
            guard next != nil else { return true }
            if control.isStopRequested { return false }
            guard let nextPage = try await following else { return true }
            page = nextPage
        }
    }

    /// Saves the checkpoint after a committed batch and reports progress.
    private mutating func commit(wrote: Bool) async throws {
        if wrote, !migration.dryRun {
            state.savedAt = Date()
            try await checkpoint(state)
            lastSaved = state
        }
        progress(MigrationProgress(phase: state.phase, counts: state.counts, total: total, readThisRun: readThisRun))
    }

    private static func readAccessTokens(_ source: any TokenStore, after cursor: AccessTokenKey?, limit: Int)
        async throws -> AccessTokenPage?
    {
        guard let cursor else { return nil }
        return try await source.listAccessTokens(after: cursor, limit: limit)
    }

    private static func readTokenSets(_ source: any TokenStore, after cursor: AccessTokenKey?, limit: Int)
        async throws -> OAuth2TokenSetPage?
    {
        guard let cursor else { return nil }
        return try await source.listTokenSets(after: cursor, limit: limit)
    }

    private static func readRequestTokens(_ source: any TokenStore, after cursor: String?, limit: Int)
        async throws -> RequestTokenPage?
    {
        guard let cursor else { return nil }
        return try await source.listRequestTokens(after: cursor, limit: limit)
    }
}
