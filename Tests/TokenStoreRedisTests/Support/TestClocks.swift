import Foundation
import Logging
import Synchronization
import TokenStoreKit

/// A clock tests move by hand.
final class SteppingClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) {
        current = Mutex(TokenTimestamp.normalized(start))
    }

    var clock: TokenClock { TokenClock { [self] in current.withLock { $0 } } }

    func advance(seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// A log handler keeping every line, to check that no secret is ever logged.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    // @unchecked: `lines` is a Mutex; `metadata`/`logLevel` are only set before use.
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let text = "\(event.level) \(event.message) \(event.metadata ?? [:])"
        lines.withLock { $0.append(text) }
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}
