import Synchronization
import Testing
@testable import TokenStoreIO
import TokenStoreKit
import TokenStoreTesting

/// The rules of `CallCoalescer`, driven by hand: the test holds leader slots itself and
/// decides when followers are taken, resumed or cancelled.
@Suite("Call coalescer", .inProcessTimeLimit)
struct CallCoalescerTests {
    typealias Coalescer = CallCoalescer<Int, String>

    static func coalescer(leaders: Int = 1, window: Duration = .zero, yields: Bool = false) -> Coalescer {
        Coalescer(.init(leaders: leaders, companyWindow: window, yieldsForFollowers: yields))
    }

    /// A call as a driver makes it: lead when a slot is free (running `io` on its own job
    /// and its followers'), else queue and take the leader's outcome.
    static func call(_ coalescer: Coalescer, _ job: Int, io: @Sendable ([Int]) async throws -> [String]) async throws -> String {
        if coalescer.tryLead() { return try await lead(coalescer, job, await coalescer.gatherFollowers(), io: io) }
        switch try await coalescer.follow(job) {
        case .lead: return try await lead(coalescer, job, coalescer.takeFollowers(), io: io)
        case .done(let outcome): return try outcome.get()
        }
    }

    static func lead(
        _ coalescer: Coalescer, _ job: Int, _ followers: [Coalescer.Follower], io: ([Int]) async throws -> [String]
    ) async throws -> String {
        defer { coalescer.finishLeading() }
        let outcomes: [String]
        do {
            outcomes = try await io([job] + followers.map(\.job))
        } catch {
            coalescer.abandon(followers, after: error, sent: true)
            throw error
        }
        for (follower, outcome) in zip(followers, outcomes.dropFirst()) { coalescer.deliver(.success(outcome), to: follower) }
        return outcomes[0]
    }

    /// Starts a follower of `job` in a task of its own and waits until it queued.
    static func queue(_ coalescer: Coalescer, _ job: Int) async throws -> Task<Coalescer.Turn, any Error> {
        let before = coalescer.queuedCount
        let task = Task { try await coalescer.follow(job) }
        try await eventually("follower \(job) queues") { coalescer.queuedCount == before + 1 }
        return task
    }

    @Test("a call leads at once while a slot is free; later ones queue, in order, and get their own outcome")
    func followersInOrder() async throws {
        let coalescer = Self.coalescer(leaders: 2)
        #expect(coalescer.tryLead())
        #expect(coalescer.tryLead())
        #expect(!coalescer.tryLead())
        #expect(coalescer.leaderCount == 2)
        var tasks: [Task<Coalescer.Turn, any Error>] = []
        for job in 1...3 { tasks.append(try await Self.queue(coalescer, job)) }

        let followers = coalescer.takeFollowers()
        #expect(followers.map(\.job) == [1, 2, 3])
        #expect(coalescer.followersCarried == 3)
        #expect(coalescer.queuedCount == 0)
        // Resumed in any order: each gets the outcome meant for it.
        for follower in followers.reversed() { coalescer.deliver(.success("row \(follower.job)"), to: follower) }
        for (job, task) in zip(1..., tasks) {
            guard case .done(let outcome) = try await task.value else {
                Issue.record("follower \(job) was told to lead")
                continue
            }
            #expect(try outcome.get() == "row \(job)")
        }
        coalescer.finishLeading()
        coalescer.finishLeading()
        #expect(coalescer.leaderCount == 0)
    }

    @Test("a leader carries at most maxFollowers; the rest wait for the next")
    func boundedPipeline() async throws {
        let coalescer = Self.coalescer()
        #expect(coalescer.tryLead())
        let count = LeaderQueue<Int>.maxFollowers + 2
        var tasks: [Task<Coalescer.Turn, any Error>] = []
        for job in 0..<count { tasks.append(try await Self.queue(coalescer, job)) }
        let first = coalescer.takeFollowers()
        #expect(first.count == LeaderQueue<Int>.maxFollowers)
        #expect(coalescer.queuedCount == 2)
        for follower in first { coalescer.deliver(.success("\(follower.job)"), to: follower) }
        let second = coalescer.takeFollowers()
        #expect(second.map(\.job) == [count - 2, count - 1])
        for follower in second { coalescer.deliver(.success("\(follower.job)"), to: follower) }
        for (job, task) in zip(0..., tasks) {
            guard case .done(let outcome) = try await task.value else { continue }
            #expect(try outcome.get() == "\(job)")
        }
        coalescer.finishLeading()
    }

    @Test("a finishing leader hands its slot to the oldest queued call, which then leads")
    func handoff() async throws {
        let coalescer = Self.coalescer()
        #expect(coalescer.tryLead())
        let first = try await Self.queue(coalescer, 1)
        let second = try await Self.queue(coalescer, 2)
        coalescer.finishLeading()
        guard case .lead = try await first.value else {
            Issue.record("the oldest follower did not inherit the slot")
            return
        }
        #expect(coalescer.leaderCount == 1)
        #expect(coalescer.queuedCount == 1)
        let carried = coalescer.takeFollowers()
        #expect(carried.map(\.job) == [2])
        for follower in carried { coalescer.deliver(.failure(Failure(text: "server gone")), to: follower) }
        guard case .done(let outcome) = try await second.value else {
            Issue.record("the second follower was told to lead")
            return
        }
        #expect(throws: Failure(text: "server gone")) { try outcome.get() }
        coalescer.finishLeading()
        #expect(coalescer.leaderCount == 0)
        #expect(coalescer.tryLead())
        coalescer.finishLeading()
    }

    @Test("a call cancelled while queued leaves the queue with CancellationError; the others are unaffected")
    func cancelledWhileQueued() async throws {
        let coalescer = Self.coalescer()
        #expect(coalescer.tryLead())
        let first = try await Self.queue(coalescer, 1)
        let cancelled = try await Self.queue(coalescer, 2)
        let third = try await Self.queue(coalescer, 3)
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(coalescer.queuedCount == 2)
        let followers = coalescer.takeFollowers()
        #expect(followers.map(\.job) == [1, 3])
        for follower in followers { coalescer.deliver(.success("\(follower.job)"), to: follower) }
        for (job, task) in [(1, first), (3, third)] {
            guard case .done(let outcome) = try await task.value else { continue }
            #expect(try outcome.get() == "\(job)")
        }
        coalescer.finishLeading()
    }

    @Test("a call already cancelled never queues and never takes a free slot")
    func cancelledBeforeQueueing() async throws {
        let coalescer = Self.coalescer()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await coalescer.follow(1)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(coalescer.queuedCount == 0)
        #expect(coalescer.leaderCount == 0)
        #expect(!coalescer.hasCompany)
    }

    @Test("a call a leader took waits for its outcome even when cancelled")
    func cancelledAfterTaken() async throws {
        let coalescer = Self.coalescer()
        #expect(coalescer.tryLead())
        let task = try await Self.queue(coalescer, 7)
        let followers = coalescer.takeFollowers()
        task.cancel()
        coalescer.deliver(.success("seven"), to: followers[0])
        // A second delivery to a resumed call is ignored.
        coalescer.deliver(.success("other"), to: followers[0])
        guard case .done(let outcome) = try await task.value else {
            Issue.record("the carried call was told to lead")
            return
        }
        #expect(try outcome.get() == "seven")
        coalescer.finishLeading()
    }

    @Test("a leader cancelled before sending puts its followers back first in line, and the oldest leads next")
    func leaderCancelledBeforeSending() async throws {
        let coalescer = Self.coalescer()
        #expect(coalescer.tryLead())
        let first = try await Self.queue(coalescer, 1)
        let second = try await Self.queue(coalescer, 2)
        let carried = coalescer.takeFollowers()
        let late = try await Self.queue(coalescer, 3)
        // The leader's own task is cancelled while it waits for a connection.
        let leader = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            coalescer.abandon(carried, after: CancellationError(), sent: false)
            coalescer.finishLeading()
        }
        await leader.value
        guard case .lead = try await first.value else {
            Issue.record("the oldest carried call did not lead next")
            return
        }
        let next = coalescer.takeFollowers()
        #expect(next.map(\.job) == [2, 3], "carried calls go back ahead of later ones")
        for follower in next { coalescer.deliver(.success("\(follower.job)"), to: follower) }
        for (job, task) in [(2, second), (3, late)] {
            guard case .done(let outcome) = try await task.value else { continue }
            #expect(try outcome.get() == "\(job)")
        }
        coalescer.finishLeading()
        #expect(coalescer.leaderCount == 0)
    }

    @Test("a carried call cancelled while its leader waited for a connection ends instead of queueing again")
    func carriedCallCancelledThenAbandoned() async throws {
        let coalescer = Self.coalescer()
        #expect(coalescer.tryLead())
        let kept = try await Self.queue(coalescer, 1)
        let cancelled = try await Self.queue(coalescer, 2)
        let carried = coalescer.takeFollowers()
        cancelled.cancel()
        let leader = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            coalescer.abandon(carried, after: CancellationError(), sent: false)
        }
        await leader.value
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(coalescer.queuedCount == 1)
        coalescer.finishLeading()
        guard case .lead = try await kept.value else {
            Issue.record("the kept call did not inherit the slot")
            return
        }
        coalescer.finishLeading()
    }

    @Test("a failure after sending, or of a leader not cancelled, goes to every carried call not yet resumed")
    func failureAfterSending() async throws {
        for sent in [true, false] {
            let coalescer = Self.coalescer()
            #expect(coalescer.tryLead())
            let delivered = try await Self.queue(coalescer, 1)
            let failed = try await Self.queue(coalescer, 2)
            let carried = coalescer.takeFollowers()
            coalescer.deliver(.success("one"), to: carried[0])
            coalescer.abandon(carried, after: Failure(text: "connection lost"), sent: sent)
            coalescer.finishLeading()
            if case .done(let outcome) = try await delivered.value { #expect(try outcome.get() == "one") }
            guard case .done(let outcome) = try await failed.value else {
                Issue.record("the failed call was told to lead")
                continue
            }
            #expect(throws: Failure(text: "connection lost")) { try outcome.get() }
            #expect(coalescer.leaderCount == 0)
            #expect(coalescer.queuedCount == 0)
        }
    }

    @Test("company: more than one call under way, or a call queued within the window")
    func company() async throws {
        let alone = Self.coalescer(leaders: 2)
        #expect(!alone.hasCompany)
        #expect(alone.tryLead())
        #expect(!alone.hasCompany, "one leader alone")
        #expect(alone.tryLead())
        #expect(alone.hasCompany, "two leaders")
        alone.finishLeading()
        alone.finishLeading()
        #expect(!alone.hasCompany)

        let windowed = Self.coalescer(window: .seconds(600))
        #expect(windowed.tryLead())
        let task = try await Self.queue(windowed, 1)
        for follower in windowed.takeFollowers() { windowed.deliver(.success(""), to: follower) }
        _ = try await task.value
        windowed.finishLeading()
        #expect(windowed.hasCompany, "a call queued within the window")
    }

    @Test("a leader yields for followers only when the driver asks for it and it has company")
    func gatherFollowers() async throws {
        for yields in [false, true] {
            let coalescer = Self.coalescer(leaders: 2, yields: yields)
            #expect(coalescer.tryLead())
            #expect(coalescer.tryLead())
            #expect(await coalescer.gatherFollowers().isEmpty)
            coalescer.finishLeading()
            coalescer.finishLeading()
        }
    }

    @Test("many concurrent callers, some cancelled, each get their own outcome and none hangs", arguments: [1, 2, 4])
    func stress(leaders: Int) async throws {
        let coalescer = Self.coalescer(leaders: leaders, window: .milliseconds(2), yields: leaders > 1)
        let batches = Mutex<[Int]>([])
        let io: @Sendable ([Int]) async throws -> [String] = { jobs in
            batches.withLock { $0.append(jobs.count) }
            await Task.yield()
            return jobs.map { "result \($0)" }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<64 {
                group.addTask {
                    for round in 0..<50 {
                        let job = caller * 1000 + round
                        if (caller + round) % 17 == 0 {
                            let task = Task { try await Self.call(coalescer, job, io: io) }
                            task.cancel()
                            switch await task.result {
                            case .success(let value): #expect(value == "result \(job)")
                            case .failure(let error): #expect(error is CancellationError)
                            }
                        } else {
                            let value = try await Self.call(coalescer, job, io: io)
                            #expect(value == "result \(job)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(coalescer.leaderCount == 0)
        #expect(coalescer.queuedCount == 0)
        #expect(batches.withLock { $0.allSatisfy { $0 <= LeaderQueue<Int>.maxFollowers + 1 } })
    }

    struct Failure: Error, Equatable {
        let text: String
    }
}
