import CoreMetrics

/// How many connections a pool has open and idle, and how many calls wait for one.
package struct ConnectionPoolCounts: Sendable, Equatable {
    /// Open connections, including slots reserved while one is being opened.
    package var open = 0
    /// Open connections no call is using.
    package var idle = 0
    /// Calls waiting for a connection.
    package var waiting = 0

    package init(open: Int = 0, idle: Int = 0, waiting: Int = 0) {
        self.open = open
        self.idle = idle
        self.waiting = waiting
    }
}

/// The three gauges of a driver's connection pool, as swift-metrics meters (names and
/// meaning in `Docs/metrics.md`).
///
/// Meters, moved by increments and decrements rather than set: every pool of one driver in
/// a process reports into the same series (a backend such as swift-prometheus hands out
/// one gauge per label and dimensions), and two pools setting it would overwrite each
/// other. A pool therefore adds exactly what it changed, and takes it all back when it
/// closes.
package struct ConnectionPoolMeters: Sendable {
    /// Open connections, with those being opened.
    package static let openLabel = "tokenstore_pool_open_connections"
    /// Open connections no call is using.
    package static let idleLabel = "tokenstore_pool_idle_connections"
    /// Calls waiting for a connection.
    package static let waitingLabel = "tokenstore_pool_waiting_calls"

    package let open: Meter
    package let idle: Meter
    package let waiting: Meter

    /// Makes the meters of a pool of `driver` (`sqlite`, `postgres`, `redis`): from
    /// `factory`, or `MetricsSystem.factory` when `nil` (read now, so the app bootstraps
    /// its backend before it opens a store).
    package init(driver: String, factory: (any MetricsFactory)?) {
        let factory = factory ?? MetricsSystem.factory
        let dimensions = [("driver", driver)]
        open = Meter(label: Self.openLabel, dimensions: dimensions, factory: factory)
        idle = Meter(label: Self.idleLabel, dimensions: dimensions, factory: factory)
        waiting = Meter(label: Self.waitingLabel, dimensions: dimensions, factory: factory)
    }

    /// Moves each meter by what changed between `old` and `new`; a meter whose count did
    /// not change is not touched.
    @inline(__always)
    package func publish(from old: ConnectionPoolCounts, to new: ConnectionPoolCounts) {
        if old.open != new.open { Self.move(open, from: old.open, to: new.open) }
        if old.idle != new.idle { Self.move(idle, from: old.idle, to: new.idle) }
        if old.waiting != new.waiting { Self.move(waiting, from: old.waiting, to: new.waiting) }
    }

    private static func move(_ meter: Meter, from old: Int, to new: Int) {
        // Counts of one pool: far from overflowing, and a magnitude is never negative.
        if new > old {
            meter.increment(by: Double((new - old).magnitude))
        } else {
            meter.decrement(by: Double((old - new).magnitude))
        }
    }
}
