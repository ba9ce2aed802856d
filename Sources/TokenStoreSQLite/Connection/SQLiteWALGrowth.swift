/// How far the WAL has grown since the last checkpoint, and which checkpoint to run next.
///
/// SQLite reports the WAL's size in frames after each commit. The frames a checkpoint
/// copied are the base growth is counted from, until the WAL is rewound: the first writer
/// after a complete checkpoint starts again at frame 1, and from then on the old base means
/// nothing. Keeping it (the mistake this type exists to avoid) postpones every next
/// checkpoint by one more WAL's worth, and the WAL grows without bound under steady writes.
///
/// Two kinds of checkpoint: a passive one each time the WAL grew by the threshold, and a
/// restart once the WAL holds `restartFactor` thresholds (a passive one never catches the
/// tail of a busy WAL). A restart may start while a passive one is still in flight, so a
/// passive checkpoint delayed by a loaded machine does not let the WAL run away.
struct SQLiteWALGrowth: Sendable {
    /// A checkpoint to schedule, and the WAL generation it belongs to.
    struct Checkpoint: Equatable, Sendable {
        var restart: Bool
        var generation: Int
    }

    let thresholdPages: Int
    let restartFactor: Int
    /// Frames the last checkpoint copied in the current generation; growth counts from here.
    private(set) var base = 0
    /// The size reported by the last commit: a smaller one means the WAL was rewound.
    private(set) var lastPages = 0
    /// Counts rewinds, so a checkpoint that finishes after one does not restore a stale base.
    private(set) var generation = 0
    private(set) var passivePending = false
    private(set) var restartPending = false
    /// The WAL size from which the next restart runs; pushed back after a failed one, so
    /// a reader that pins the WAL (another process's long transaction) is not met with a
    /// restart, and its wait, on every commit.
    private(set) var restartAtPages: Int

    init(thresholdPages: Int, restartFactor: Int) {
        self.thresholdPages = thresholdPages
        self.restartFactor = restartFactor
        self.restartAtPages = thresholdPages * restartFactor
    }

    /// A commit left the WAL at `pages` frames: the checkpoint to schedule, if one is due.
    mutating func committed(pages: Int) -> Checkpoint? {
        if pages < lastPages {
            generation &+= 1
            base = 0
            restartAtPages = thresholdPages * restartFactor
        }
        lastPages = pages
        if !restartPending, pages >= restartAtPages {
            restartPending = true
            return Checkpoint(restart: true, generation: generation)
        }
        guard !passivePending, !restartPending, pages - base >= thresholdPages else { return nil }
        passivePending = true
        return Checkpoint(restart: false, generation: generation)
    }

    /// `checkpoint` finished having copied `copiedPages` frames (nil when it failed).
    mutating func finished(_ checkpoint: Checkpoint, copiedPages: Int?) {
        if checkpoint.restart {
            restartPending = false
            if copiedPages == nil, checkpoint.generation == generation {
                restartAtPages = lastPages + thresholdPages * restartFactor
            }
        } else {
            passivePending = false
        }
        if let copiedPages, checkpoint.generation == generation { base = max(base, copiedPages) }
    }
}
