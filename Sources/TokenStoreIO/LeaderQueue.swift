/// The bookkeeping of ``CallCoalescer``: up to `limit` calls lead (each leases a
/// connection), later ones queue as followers, a leader takes up to ``maxFollowers`` of
/// them into its pipeline, and a finishing leader hands its slot to the oldest queued one.
///
/// A plain value: the coalescer keeps it under its lock and resumes the continuations
/// outside that lock.
package struct LeaderQueue<Follower> {
    /// The most followers one leader carries, bounding a pipeline's size and latency.
    package static var maxFollowers: Int { 64 }

    package private(set) var waiting: [Follower] = []
    package private(set) var leaders = 0
    private let limit: Int

    package init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a leader slot when one is free.
    package mutating func tryLead() -> Bool {
        guard leaders < limit else { return false }
        leaders += 1
        return true
    }

    /// Takes a leader slot when one is free, else queues `follower`; `true` when it leads.
    package mutating func leadOrQueue(_ follower: Follower) -> Bool {
        if tryLead() { return true }
        waiting.append(follower)
        return false
    }

    /// The oldest queued followers, at most ``maxFollowers``, for a leader to carry.
    package mutating func takeFollowers() -> [Follower] {
        let count = min(waiting.count, Self.maxFollowers)
        guard count > 0 else { return [] }
        if count == waiting.count {
            defer { waiting = [] }
            return waiting
        }
        let taken = Array(waiting.prefix(count))
        waiting.removeFirst(count)
        return taken
    }

    /// Puts `followers` a leader took back at the head of the queue, in their order: the
    /// leader could not send them (it was cancelled before it got a connection). Its
    /// ``finishLeading()`` then hands the slot to the first of them.
    package mutating func requeueFirst(_ followers: [Follower]) {
        waiting.insert(contentsOf: followers, at: 0)
    }

    /// Removes the first queued follower that matches, if any (a call cancelled while queued).
    package mutating func removeFollower(where matches: (Follower) -> Bool) -> Follower? {
        guard let index = waiting.firstIndex(where: matches) else { return nil }
        return waiting.remove(at: index)
    }

    /// Ends a leader's turn: the oldest queued follower inherits the slot (resume it as a
    /// leader), or the slot is freed.
    package mutating func finishLeading() -> Follower? {
        if waiting.isEmpty {
            leaders -= 1
            return nil
        }
        return waiting.removeFirst()
    }
}
