import Logging
import Synchronization

/// Keeps what a logger receives, for tests that check what was logged (a warning, a step
/// of the flow) and what never was (a secret).
///
/// ```swift
/// let log = LogCapture()
/// let store = try await SQLiteTokenStore(url: url, options: TokenStoreOptions(logger: log.logger()))
/// #expect(log.messages(atLeast: .warning).isEmpty)
/// #expect(!log.text.contains(secret))
/// ```
public final class LogCapture: Sendable {
    /// One event a logger received, with the logger's metadata merged into the event's.
    public struct Entry: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: Logger.Metadata
    }

    private let captured = Mutex<[Entry]>([])

    /// Creates an empty capture.
    public init() {}

    /// A logger that records every event at `level` or above into this capture.
    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    /// Every event so far, in the order received.
    public var entries: [Entry] { captured.withLock { $0 } }

    /// The messages of the events at `level` or above.
    public func messages(atLeast level: Logger.Level) -> [String] {
        entries.filter { $0.level >= level }.map(\.message)
    }

    /// Every event as one line (level, message, metadata sorted by key), for scanning.
    public var text: String {
        entries.map { entry in
            let metadata = entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return "\(entry.level) \(entry.message) [\(metadata.joined(separator: ", "))]"
        }.joined(separator: "\n")
    }

    /// Forgets every event so far.
    public func reset() { captured.withLock { $0.removeAll() } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.captured.withLock {
                $0.append(Entry(level: event.level, message: event.message.description, metadata: merged))
            }
        }
    }
}
