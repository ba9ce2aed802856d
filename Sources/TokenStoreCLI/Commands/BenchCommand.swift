import ArgumentParser
import Foundation
import TokenStoreKit
import TokenStoreSealing

/// `tokenstore bench URL [URL...]`: measures put, get, take and a mixed workload (and, when
/// asked, the OAuth 2.0 token-set calls) on each store inside a private key range, then prints p50/p90/p99/max latency and ops/s per
/// operation, stores side by side.
///
/// Exit codes: 0 every operation succeeded; 1 a store could not be opened or prepared, or
/// the picture could not be written; 3 some operations failed (counted in the report);
/// 4 the clean-up could not delete every bench token; 64 usage error; 130 (143)
/// interrupted by SIGINT (SIGTERM) after cleaning up.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a store's latency and throughput per operation (p50/p90/p99/max, ops/s).",
        discussion: """
            Works in a private key range (provider tokenstore-bench-<random>, request tokens \
            tokenstore-bench-rt-<random>-N) and deletes every token it wrote when done, also \
            after errors or Ctrl-C. Stores run one after another, so they do not compete.

            Operations: put (saveAccessToken), get (accessToken(for:)), take (takeRequestToken), \
            mixed (80% get, 10% put, 10% save + take); OAuth 2.0 token sets: set-get \
            (tokenSet(for:)), set-put (saveTokenSet), set-cas (replaceTokenSet(ifVersion:), the \
            compare-and-set a refresh ends with). Token sets use the same --keys.

            Exit codes: 0 success; 1 a store could not be opened or prepared, or the SVG could \
            not be written; 3 some operations failed; 4 clean-up left bench tokens behind; \
            64 usage error; 130 interrupted (143 on SIGTERM).
            """)

    @Argument(
        help: ArgumentHelp(
            "Store URLs: memory:, file:///dir, sqlite:///path/tokens.db, postgres://..., redis://...", valueName: "url"))
    var urls: [String]

    @Option(
        name: .customLong("operations"),
        help: ArgumentHelp(
            "Comma-separated workloads to run, in order, of "
                + BenchOperation.allCases.map(\.rawValue).joined(separator: ",") + ".", valueName: "list"))
    var operations = "put,get,take,mixed"

    @Option(name: .customLong("duration"), help: ArgumentHelp("Seconds each operation is measured (default 5; excludes --count).", valueName: "seconds"))
    var duration: Double?

    @Option(name: .customLong("count"), help: ArgumentHelp("Operations measured per workload instead of a duration.", valueName: "n"))
    var count: Int?

    @Option(name: .customLong("concurrency"), help: ArgumentHelp("Tasks calling the store at once.", valueName: "tasks"))
    var concurrency = 4

    @Option(
        name: .customLong("warmup"),
        help: ArgumentHelp(
            "Warm-up per operation, not measured: a time (2s, 500ms) or a number of operations.",
            discussion: "Default: 1s with --duration, a tenth of --count with --count.", valueName: "time|n"))
    var warmup: String?

    @Option(
        name: .customLong("keys"),
        help: ArgumentHelp("Access tokens get, put and mixed (token sets set-get, set-put and set-cas) spread over.", valueName: "n"))
    var keys = 1000

    @Flag(name: .customLong("json"), help: "Print one JSON document instead of the table.")
    var json = false

    @Option(name: .customLong("histogram"), help: ArgumentHelp("Also draw the latency distributions into this SVG file.", valueName: "FILE.svg"), completion: .file(extensions: ["svg"]))
    var histogram: String?

    @Option(
        name: .customLong("sealing-keys"),
        help: ArgumentHelp(
            "A key file: benchmark the stores sealed (AES-256-GCM), as an app using these keys would.",
            discussion: "Without the flag, $\(SealingKeyRing.environmentVariable) seals too.", valueName: "FILE"))
    var sealingKeys: String?

    init() {}

    func validate() throws {
        guard !urls.isEmpty else { throw ValidationError("give at least one store URL") }
        if duration != nil && count != nil { throw ValidationError("use either --duration or --count, not both") }
        if let duration, !(duration > 0 && duration <= 86_400) {
            throw ValidationError("--duration must be more than 0 and at most 86400 seconds")
        }
        if let count, !(1...100_000_000).contains(count) {
            throw ValidationError("--count must be between 1 and 100000000")
        }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 1024") }
        guard (1...1_000_000).contains(keys) else { throw ValidationError("--keys must be between 1 and 1000000") }
        do {
            _ = try settings()
        } catch let failure as CLIFailure {
            throw ValidationError(failure.message)
        }
    }

    func run() async throws {
        let interruption = BenchInterruption()
        let console = CLIConsole.standard
        let handlers = interruption.installSignalHandlers(notify: console.writeError)
        defer { handlers.remove() }
        try await execute(console: console, interruption: interruption)
    }

    /// The run's settings from the flags.
    ///
    /// - Throws: ``CLIFailure`` for an unknown operation or a malformed warm-up.
    func settings() throws -> BenchSettings {
        let budget: BenchBudget =
            count.map { .count($0) } ?? .duration(.milliseconds(Int64(((duration ?? 5) * 1000).rounded())))
        let warm: BenchBudget
        if let warmup {
            warm = try BenchBudget.parseWarmup(warmup)
        } else if let count {
            warm = .count(count / 10)
        } else {
            warm = .duration(.seconds(1))
        }
        return BenchSettings(
            operations: try BenchOperation.parseList(operations), budget: budget, warmup: warm,
            concurrency: concurrency, keyCount: keys)
    }

    /// Opens every store, runs the workloads on each in turn, prints the report on
    /// `console` and writes the picture.
    ///
    /// - Parameter interruption: Stops the run early when requested (SIGINT in `run()`).
    /// - Throws: ``CLIFailure`` when a store cannot be opened or the SVG cannot be written;
    ///   `ExitCode` 1, 3, 4 or 130 after the report (see the type's documentation).
    func execute(console: CLIConsole, interruption: BenchInterruption = BenchInterruption()) async throws {
        let settings = try settings()
        let ring = try sealingKeyRing(environment: console.environment)
        if let histogram {
            // Fail before a long run rather than after it.
            let directory = (histogram as NSString).deletingLastPathComponent
            guard FileManager.default.isWritableFile(atPath: directory.isEmpty ? "." : directory) else {
                throw CLIFailure("cannot write the histogram to \(histogram): its directory is missing or not writable")
            }
        }
        let stores = try await openAll(ring: ring)
        var results: [BenchStoreResult] = []
        for (index, (name, store)) in stores.enumerated() {
            if interruption.isRequested { break }
            let label = "bench [\(index + 1)/\(stores.count)] \(name)"
            let runner = BenchStoreRunner(
                store: store, name: name, settings: settings, interruption: interruption,
                progress: { console.printError(label + ": " + $0) })
            results.append(await runner.run())
        }
        for (_, store) in stores { try? await store.close() }

        let interrupted = interruption.isRequested
        if json {
            do {
                console.print(try BenchJSONReport(results, settings: settings, interrupted: interrupted).encoded())
            } catch {
                throw CLIFailure("could not encode the JSON report: \(error)")
            }
        } else {
            console.print(BenchTableRenderer.render(results, settings: settings, interrupted: interrupted))
        }
        if let histogram {
            let svg = BenchSVGRenderer.render(results, settings: settings)
            do {
                try Data(svg.utf8).write(to: URL(fileURLWithPath: histogram), options: .atomic)
            } catch {
                throw CLIFailure("could not write the histogram to \(histogram): \(error.localizedDescription)")
            }
            console.printError("bench: latency distributions written to \(histogram)")
        }
        if interrupted { throw ExitCode(128 + interruption.signal) }
        if results.contains(where: { $0.failure != nil }) { throw ExitCode(1) }
        if results.contains(where: { $0.cleanupFailures > 0 }) { throw ExitCode(4) }
        if results.contains(where: { $0.errors > 0 }) { throw ExitCode(3) }
    }

    private func sealingKeyRing(environment: [String: String]) throws -> SealingKeyRing? {
        do {
            if let sealingKeys, !sealingKeys.isEmpty { return try SealingKeyRing.load(keyFile: sealingKeys) }
            return try SealingKeyRing.fromEnvironment(environment)
        } catch let error as SealingKeyError {
            throw CLIFailure("sealing keys: \(error)")
        }
    }

    /// Opens every store before measuring any, so a typo in the last URL fails fast.
    private func openAll(ring: SealingKeyRing?) async throws -> [(String, any TokenStore)] {
        var opened: [(String, any TokenStore)] = []
        for (index, url) in urls.enumerated() {
            let name = StoreURLRedaction.redact(url)
            do {
                let store = try await StoreDrivers.open(url)
                // Named as sealed in the table, the JSON and the picture: a sealed run is
                // not comparable with a plain one.
                if let ring {
                    opened.append((name + " (sealed)", SealedTokenStore(wrapping: store, keys: ring)))
                } else {
                    opened.append((name, store))
                }
            } catch {
                for (_, store) in opened { try? await store.close() }
                let reason = (error as? TokenStoreError)?.description ?? String(describing: error)
                throw CLIFailure("cannot open store \(index + 1) (\(name)): \(reason)")
            }
        }
        return opened
    }
}
