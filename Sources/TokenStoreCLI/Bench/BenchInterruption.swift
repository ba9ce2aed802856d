import Dispatch
import Foundation
import Glibc
import Synchronization

/// Ctrl-C (or SIGTERM) during a run: the first one asks the workers to stop after their
/// current operation so the bench range is cleaned up; a second one quits at once.
///
/// Tasks are never cancelled (a cancelled task could make a driver refuse the clean-up
/// calls); workers poll ``isRequested`` between operations instead.
final class BenchInterruption: Sendable {
    private let requested = Atomic<Int32>(0)

    /// Creates a flag that nothing sets yet (tests call ``request(signal:)``).
    init() {}

    /// Whether a stop was asked for.
    var isRequested: Bool { requested.load(ordering: .relaxed) != 0 }

    /// The signal that asked for the stop, 0 when none did.
    var signal: Int32 { requested.load(ordering: .relaxed) }

    /// Asks the workers to stop, as `signal` would.
    func request(signal: Int32 = SIGINT) {
        _ = requested.compareExchange(expected: 0, desired: signal, ordering: .relaxed)
    }

    /// Routes SIGINT and SIGTERM to this flag through dispatch sources (best effort: a
    /// store call that hangs still has to return before the clean-up runs). A second
    /// signal exits immediately with 128 + signal. `notify` tells the user what happens.
    ///
    /// - Returns: The installed handlers; call ``BenchSignalHandlers/remove()`` when done.
    func installSignalHandlers(notify: @escaping @Sendable (String) -> Void) -> BenchSignalHandlers {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                if isRequested {
                    notify("tokenstore bench: second signal, quitting without finishing the clean-up\n")
                    exit(128 + number)
                }
                request(signal: number)
                notify("tokenstore bench: interrupted; stopping and deleting the bench tokens (press Ctrl-C again to quit now)\n")
            }
            source.resume()
            sources.append(source)
        }
        return BenchSignalHandlers(sources: sources)
    }
}

/// The dispatch sources ``BenchInterruption/installSignalHandlers(notify:)`` installed.
struct BenchSignalHandlers {
    let sources: [any DispatchSourceSignal]

    /// Stops listening and restores the default handling of SIGINT and SIGTERM.
    func remove() {
        for source in sources { source.cancel() }
        Glibc.signal(SIGINT, SIG_DFL)
        Glibc.signal(SIGTERM, SIG_DFL)
    }
}
