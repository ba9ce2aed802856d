import Foundation
import TokenStoreKit

/// `take`: rounds of request tokens saved in bulk (not timed), then taken (timed) by
/// the workers until the round, the budget or the time runs out.
extension BenchStoreRunner {
    /// The most request tokens one round saves ahead.
    static let maximumRound = 5_000

    func takePhase(budget: BenchBudget, tag: String) async -> BenchPhaseOutcome {
        let clock = ContinuousClock()
        var total = BenchPhaseOutcome()
        var remaining: Int?
        var timeLeft: Duration?
        switch budget {
        case .count(let count): remaining = count
        case .duration(let duration): timeLeft = duration
        }
        var next = 0
        var roundSize = min(Self.maximumRound, max(settings.concurrency * 4, 500))
        let concurrency = settings.concurrency
        while !interruption.isRequested {
            if let remaining, remaining <= 0 { break }
            if let timeLeft, timeLeft <= .zero { break }
            let size = remaining.map { min($0, roundSize) } ?? roundSize
            let names = (next..<(next + size)).map { range.requestPrefix + tag + String($0) }
            next += size
            do {
                try await saveAhead(names)
            } catch {
                ledger.add(contentsOf: names)
                total.errors += 1
                if total.firstError == nil {
                    total.firstError = "saving request tokens ahead failed: " + BenchPhaseOutcome.message(of: error)
                }
                break
            }
            let store = self.store
            let ledger = self.ledger
            // Only the takes count against --duration: the clock starts after the save.
            let deadline = timeLeft.map { clock.now + $0 }
            let outcome = await BenchPhaseRunner.run(
                limit: size, deadline: deadline, concurrency: concurrency, interruption: interruption
            ) { ticket, _ in
                let name = names[ticket]
                let start = clock.now
                let token: RequestToken?
                do {
                    token = try await store.takeRequestToken(name)
                } catch {
                    ledger.add(name)
                    throw error
                }
                let elapsed = clock.now - start
                guard token != nil else {
                    throw BenchStepError(description: "a request token saved beforehand was not returned by take")
                }
                return elapsed
            }
            total.add(outcome)
            if outcome.attempted < size { ledger.add(contentsOf: names[outcome.attempted...]) }
            if let current = remaining { remaining = current - outcome.attempted }
            if let current = timeLeft {
                timeLeft = current - outcome.elapsed
                // Size the next round to what the time left can take, so little is saved in vain.
                let seconds = BenchBudget.seconds(outcome.elapsed)
                let rate = seconds > 0 ? Double(outcome.attempted) / seconds : Double(Self.maximumRound)
                let left = max(0, BenchBudget.seconds(current - outcome.elapsed))
                roundSize = min(Self.maximumRound, max(concurrency, Int(rate * left * 1.05) + concurrency))
            }
        }
        return total
    }

    /// Saves the round's tokens in batches of 500 (the driver's bulk path when it has one).
    private func saveAhead(_ names: [String]) async throws {
        let now = Date()
        var start = 0
        while start < names.count {
            let end = min(start + 500, names.count)
            let batch = (start..<end).map { index in
                RequestToken(
                    provider: range.provider, token: names[index], secret: range.secrets[index % range.secrets.count],
                    context: RequestTokenContext(callbackURL: "https://bench.invalid/callback"), createdAt: now)
            }
            try await store.saveRequestTokens(batch)
            start = end
        }
    }
}
