import Foundation
import TokenStoreKit

/// Runs the chosen workloads on one store inside a private ``BenchKeyRange`` and deletes
/// every token it created afterwards, also after failures and interruptions.
struct BenchStoreRunner: Sendable {
    let store: any TokenStore
    let name: String
    let settings: BenchSettings
    let interruption: BenchInterruption
    let progress: @Sendable (String) -> Void
    let range: BenchKeyRange
    let ledger = BenchCleanupLedger()
    /// The access tokens of the range as seeded; `put` writes variations of them.
    let tokens: [AccessToken]
    /// The OAuth 2.0 token sets of the range as seeded, under the same keys; `set-put` and
    /// `set-cas` write variations of them.
    let tokenSets: [OAuth2TokenSet]

    init(
        store: any TokenStore, name: String, settings: BenchSettings, interruption: BenchInterruption,
        progress: @escaping @Sendable (String) -> Void
    ) {
        self.store = store
        self.name = name
        self.settings = settings
        self.interruption = interruption
        self.progress = progress
        let range = BenchKeyRange(keyCount: settings.keyCount)
        self.range = range
        let now = Date()
        tokens = range.keys.enumerated().map { index, key in
            AccessToken(
                provider: key.provider, userID: key.userID, token: "at-\(index)-" + range.tokenSalt,
                secret: range.secrets[index % range.secrets.count], screenName: "bench-user-\(index)",
                accessType: "read-write", createdAt: now)
        }
        tokenSets = range.keys.enumerated().map { index, key in
            OAuth2TokenSet(
                provider: key.provider, userID: key.userID, accessToken: range.secrets[index % range.secrets.count],
                expiresAt: now.addingTimeInterval(3600), refreshToken: range.secrets[(index + 1) % range.secrets.count],
                scope: "read write", screenName: "bench-user-\(index)", createdAt: now)
        }
    }

    /// Prepares the range, runs every workload, cleans up.
    func run() async -> BenchStoreResult {
        var result = BenchStoreResult(store: name, operations: [], provider: range.provider)
        // Only a run that checked the range is free and needs the access tokens (token
        // sets) writes them, so only it deletes them.
        var ownsAccessTokens = false
        var ownsTokenSets = false
        do {
            let usesTokenSets = settings.operations.contains(where: \.usesTokenSets)
            try await checkRangeIsFree(tokenSets: usesTokenSets)
            ownsAccessTokens = settings.operations.contains(where: \.usesAccessTokens)
            if ownsAccessTokens { try await seed() }
            ownsTokenSets = usesTokenSets
            if ownsTokenSets { try await seedTokenSets() }
            for operation in settings.operations where !interruption.isRequested {
                result.operations.append(await measure(operation))
            }
        } catch {
            result.failure = "could not prepare the bench tokens: " + BenchPhaseOutcome.message(of: error)
        }
        let (failures, firstError) = await cleanUp(accessTokens: ownsAccessTokens, tokenSets: ownsTokenSets)
        result.cleanupFailures = failures
        result.cleanupError = firstError
        return result
    }

    /// Makes sure the random provider holds no token (64 random bits make a clash
    /// practically impossible; this makes it impossible to overwrite one).
    private func checkRangeIsFree(tokenSets: Bool) async throws {
        let first = range.keys[0]
        let setTaken = tokenSets ? try await store.tokenSet(for: first) != nil : false
        guard try await store.accessToken(for: first) == nil, !setTaken else {
            throw BenchStepError(description: "the random provider \(range.provider) already holds tokens; refusing to touch it")
        }
    }

    /// Writes the access tokens `get`, `put` and `mixed` use (not timed).
    private func seed() async throws {
        progress("writing \(tokens.count) access tokens under provider \(range.provider)")
        var start = 0
        while start < tokens.count {
            let end = min(start + 500, tokens.count)
            try await store.saveAccessTokens(Array(tokens[start..<end]), policy: .overwrite)
            start = end
        }
    }

    /// Writes the token sets `set-get`, `set-put` and `set-cas` use (not timed).
    private func seedTokenSets() async throws {
        progress("writing \(tokenSets.count) token sets under provider \(range.provider)")
        var start = 0
        while start < tokenSets.count {
            let end = min(start + 500, tokenSets.count)
            try await store.saveTokenSets(Array(tokenSets[start..<end]), policy: .overwrite)
            start = end
        }
    }

    /// Warms up, then measures one workload.
    private func measure(_ operation: BenchOperation) async -> BenchOperationResult {
        if !settings.warmup.isEmpty {
            progress("\(operation.rawValue) warm-up (\(settings.warmup))")
            _ = await phase(operation, budget: settings.warmup, tag: "w")
        }
        progress("\(operation.rawValue) (\(settings.budget), \(settings.concurrency) tasks)")
        let outcome = await phase(operation, budget: settings.budget, tag: "m")
        progress(
            "\(operation.rawValue) done: \(outcome.histogram.count) ops, \(outcome.errors) error(s)")
        return BenchOperationResult(
            operation: operation, histogram: outcome.histogram, errors: outcome.errors,
            firstError: outcome.firstError.map { "\(operation.rawValue): \($0)" }, elapsed: outcome.elapsed,
            cpu: outcome.cpu)
    }

    private func phase(_ operation: BenchOperation, budget: BenchBudget, tag: String) async -> BenchPhaseOutcome {
        switch operation {
        case .take:
            return await takePhase(budget: budget, tag: tag)
        case .setCAS:
            let versions: BenchTokenSetVersions
            do {
                versions = try await readTokenSetVersions()
            } catch {
                var outcome = BenchPhaseOutcome()
                outcome.errors = 1
                outcome.firstError = "reading the token sets' versions failed: " + BenchPhaseOutcome.message(of: error)
                return outcome
            }
            return await BenchPhaseRunner.run(
                budget: budget, concurrency: settings.concurrency, interruption: interruption,
                step: tokenSetReplaceStep(versions: versions))
        case .put, .get, .mixed, .setGet, .setPut:
            let step: BenchStep =
                switch operation {
                case .put: putStep()
                case .get: getStep()
                case .setGet: tokenSetGetStep()
                case .setPut: tokenSetPutStep()
                default: mixedStep(tag: tag)
                }
            return await BenchPhaseRunner.run(
                budget: budget, concurrency: settings.concurrency, interruption: interruption, step: step)
        }
    }

    /// Deletes every access token and token set of the range and takes every request token
    /// the ledger holds, `concurrency` at a time. Never interrupted: it is what an
    /// interruption waits for.
    private func cleanUp(accessTokens: Bool, tokenSets: Bool) async -> (failures: Int, firstError: String?) {
        let leftovers = ledger.drain()
        let keys = accessTokens ? range.keys : []
        let setKeys = tokenSets ? range.keys : []
        var line = "cleaning up (\(keys.count) access tokens, "
        if tokenSets { line += "\(setKeys.count) token sets, " }
        progress(line + "\(leftovers.count) request tokens)")
        let store = self.store
        let work = keys.count + setKeys.count + leftovers.count
        let lanes = max(1, min(settings.concurrency, 16))
        return await withTaskGroup(of: (Int, String?).self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    var failures = 0
                    var first: String?
                    for index in stride(from: lane, to: work, by: lanes) {
                        do {
                            if index < keys.count {
                                _ = try await store.deleteAccessToken(for: keys[index])
                            } else if index < keys.count + setKeys.count {
                                _ = try await store.deleteTokenSet(for: setKeys[index - keys.count])
                            } else {
                                _ = try await store.takeRequestToken(leftovers[index - keys.count - setKeys.count])
                            }
                        } catch {
                            failures += 1
                            if first == nil { first = BenchPhaseOutcome.message(of: error) }
                        }
                    }
                    return (failures, first)
                }
            }
            var failures = 0
            var first: String?
            for await (count, message) in group {
                failures += count
                if first == nil { first = message }
            }
            return (failures, first)
        }
    }
}
