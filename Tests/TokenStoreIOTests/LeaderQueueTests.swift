import Testing
import TokenStoreIO

@Suite("Leader queue", .inProcessTimeLimit)
struct LeaderQueueTests {
    @Test("calls lead up to the limit, then queue; a finishing leader hands its slot to the oldest")
    func handoff() {
        var queue = LeaderQueue<Int>(limit: 2)
        let leads = [queue.tryLead(), queue.leadOrQueue(1), queue.leadOrQueue(2), queue.leadOrQueue(3)]
        #expect(leads == [true, true, false, false])
        let next = queue.finishLeading()
        #expect(next == 2)
        #expect(queue.leaders == 2, "the slot passes on, the leader count stays")
        let handoffs = [queue.finishLeading(), queue.finishLeading(), queue.finishLeading()]
        #expect(handoffs == [3, nil, nil])
        #expect(queue.leaders == 0)
        let again = queue.tryLead()
        #expect(again)
    }

    @Test("a leader carries at most maxFollowers, oldest first; a cancelled follower can be removed")
    func followers() {
        var queue = LeaderQueue<Int>(limit: 1)
        _ = queue.tryLead()
        let count = LeaderQueue<Int>.maxFollowers + 5
        for id in 0..<count {
            let led = queue.leadOrQueue(id)
            #expect(!led)
        }
        let removed = [queue.removeFollower(where: { $0 == 3 }), queue.removeFollower(where: { $0 == 3 })]
        #expect(removed == [3, nil])
        let first = queue.takeFollowers()
        #expect(first.count == LeaderQueue<Int>.maxFollowers)
        #expect(first.prefix(4) == [0, 1, 2, 4])
        let rest = queue.takeFollowers()
        #expect(rest == Array(LeaderQueue<Int>.maxFollowers + 1..<count))
        let none = queue.takeFollowers()
        #expect(none.isEmpty)
    }

    @Test("followers a leader could not send go back to the head of the queue, and the slot passes to the first")
    func requeue() {
        var queue = LeaderQueue<Int>(limit: 1)
        _ = queue.tryLead()
        for id in 1...3 { _ = queue.leadOrQueue(id) }
        let taken = queue.takeFollowers()
        _ = queue.leadOrQueue(4)
        queue.requeueFirst(taken)
        #expect(queue.waiting == [1, 2, 3, 4])
        let next = queue.finishLeading()
        #expect(next == 1)
        #expect(queue.leaders == 1)
        #expect(queue.takeFollowers() == [2, 3, 4])
    }
}
