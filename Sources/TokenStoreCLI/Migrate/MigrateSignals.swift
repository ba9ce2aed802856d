import Dispatch
import Glibc
import TokenStoreKit
import TokenStoreMigration

/// SIGINT and SIGTERM handlers that ask the run to stop after the batch in flight: the
/// signals are ignored at the process level and delivered to dispatch sources on a
/// dispatch queue, so no Swift cooperative thread ever waits for them. A second signal
/// exits at once (status 130); the checkpoint of the last committed batch stays valid.
final class MigrateSignals {
    private let sources: [any DispatchSourceSignal]

    /// Installs the handlers; keep the returned value alive for the run and ``cancel()`` it after.
    init(control: MigrationControl, console: CLIConsole) {
        let queue = DispatchQueue(label: "tokenstore.migrate.signals")
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if control.isStopRequested {
                    console.printError("\nstopping now; the checkpoint of the last committed batch is kept")
                    _exit(130)
                }
                control.requestStop()
                console.printError("\nstopping after the batch in flight (signal again to stop at once)")
            }
            source.resume()
            return source
        }
    }

    /// Removes the handlers and restores the default signal actions.
    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
