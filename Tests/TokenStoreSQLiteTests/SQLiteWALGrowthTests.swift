import Testing
@testable import TokenStoreSQLite

/// The checkpoint schedule, step by step: what SQLite's WAL hook reports and what the
/// checkpointer should do next.
@Suite("SQLite WAL growth accounting", .inProcessTimeLimit)
struct SQLiteWALGrowthTests {
    private typealias Checkpoint = SQLiteWALGrowth.Checkpoint

    @Test("a passive checkpoint is due each threshold of growth, a restart at the factor")
    func thresholds() {
        var growth = SQLiteWALGrowth(thresholdPages: 10, restartFactor: 2)
        #expect(growth.committed(pages: 9) == nil)
        let passive = Checkpoint(restart: false, generation: 0)
        #expect(growth.committed(pages: 10) == passive)
        growth.finished(passive, copiedPages: 10)
        #expect(growth.committed(pages: 19) == nil, "growth counts from what the checkpoint copied")
        #expect(growth.committed(pages: 20) == Checkpoint(restart: true, generation: 0))
    }

    @Test("no second passive checkpoint while one is in flight, but a restart may start")
    func pendingPassive() {
        var growth = SQLiteWALGrowth(thresholdPages: 10, restartFactor: 2)
        let passive = Checkpoint(restart: false, generation: 0)
        #expect(growth.committed(pages: 10) == passive)
        #expect(growth.committed(pages: 15) == nil)
        // The passive one is slow (a loaded machine): the WAL must not run away meanwhile.
        let restart = Checkpoint(restart: true, generation: 0)
        #expect(growth.committed(pages: 20) == restart)
        #expect(growth.committed(pages: 40) == nil, "one restart at a time")
        growth.finished(passive, copiedPages: nil)
        #expect(growth.committed(pages: 41) == nil, "no passive checkpoint beside a pending restart")
    }

    @Test("a failed restart waits for another factor of growth; a failed passive one is retried at once")
    func failures() {
        var growth = SQLiteWALGrowth(thresholdPages: 10, restartFactor: 2)
        let restart = Checkpoint(restart: true, generation: 0)
        #expect(growth.committed(pages: 25) == restart)
        growth.finished(restart, copiedPages: nil)
        let passive = Checkpoint(restart: false, generation: 0)
        #expect(growth.committed(pages: 26) == passive, "growth still counts from 0")
        growth.finished(passive, copiedPages: nil)
        #expect(growth.committed(pages: 27) == passive)
        growth.finished(passive, copiedPages: 27)
        #expect(growth.committed(pages: 37) == passive)
        growth.finished(passive, copiedPages: 37)
        #expect(growth.committed(pages: 44) == nil)
        #expect(growth.committed(pages: 45) == restart, "25 + 2 thresholds")
    }

    @Test("a rewound WAL counts from frame 0 again")
    func rewindResetsBase() {
        var growth = SQLiteWALGrowth(thresholdPages: 10, restartFactor: 4)
        let passive = Checkpoint(restart: false, generation: 0)
        #expect(growth.committed(pages: 25) == passive)
        growth.finished(passive, copiedPages: 25)
        // The next writer after a complete checkpoint starts the WAL again at frame 1.
        #expect(growth.committed(pages: 2) == nil)
        #expect(growth.generation == 1)
        #expect(growth.committed(pages: 10) == Checkpoint(restart: false, generation: 1),
                "with the old base of 25 this checkpoint would wait until page 35")
    }

    @Test("a checkpoint that finishes after a rewind does not restore its stale base")
    func lateCheckpointAfterRewind() {
        var growth = SQLiteWALGrowth(thresholdPages: 10, restartFactor: 2)
        let restart = Checkpoint(restart: true, generation: 0)
        #expect(growth.committed(pages: 20) == restart)
        // It rewinds the WAL and writers start over before it reports.
        #expect(growth.committed(pages: 3) == nil)
        growth.finished(restart, copiedPages: 20)
        #expect(growth.base == 0)
        #expect(growth.committed(pages: 10) == Checkpoint(restart: false, generation: 1))
    }
}
