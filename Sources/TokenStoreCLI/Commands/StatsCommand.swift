import ArgumentParser
import Foundation
import TokenStoreKit

/// `tokenstore stats URL`: counts by kind (request tokens, access tokens by provider, OAuth
/// 2.0 token sets) and the schema version, without
/// reading the tokens; with `--updates`, also the oldest and newest update (reads every token).
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print a store's token counts by kind and provider and its schema version.",
        discussion: """
            Counting does not read the tokens (an aggregate query in SQL, counters kept with the \
            writes in Redis), so it stays fast on stores of millions of tokens. --updates also \
            finds the oldest and newest update, which reads every access token.
            """)

    @Argument(help: "The token store URL: sqlite:///path/tokens.db, file:///dir, postgres://..., redis://..., memory:NAME")
    var url: String

    @Flag(name: .customLong("json"), help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .customLong("updates"), help: "Also print the oldest and newest update (reads every access token).")
    var updates = false

    init() {}

    func run() async throws {
        try await execute(console: .standard)
    }

    /// Counts the tokens of the store at ``url`` (with ``updates``, also reads it page by
    /// page, in flat memory) and reports on `console`.
    ///
    /// - Throws: ``CLIFailure`` when the store cannot be opened or read.
    func execute(console: CLIConsole) async throws {
        let store: any TokenStore
        do {
            // A typo in the URL is an error, never a new empty store.
            store = try await StoreDrivers.open(url, options: TokenStoreOptions(createIfMissing: false))
        } catch let error as TokenStoreError {
            throw CLIFailure(error.description)
        }
        do {
            let report = try await Self.collect(store, updates: updates)
            try? await store.close()
            console.print(json ? report.json() : report.text(store: StoreURLRedaction.redact(url)))
        } catch let error as TokenStoreError {
            try? await store.close()
            throw CLIFailure(error.description)
        } catch {
            try? await store.close()
            throw error
        }
    }

    struct Report {
        var requestTokens = 0
        var accessTokens = 0
        var tokenSets = 0
        var byProvider: [String: Int] = [:]
        var oldest: Date?
        var newest: Date?
        /// Whether oldest/newest were looked for (`--updates`).
        var updatesRead = false
        var schemaVersion = 0

        func text(store: String) -> String {
            var lines = ["Store: \(store)", "Schema version: \(schemaVersion)",
                "Request tokens (unexpired): \(requestTokens)", "Access tokens: \(accessTokens)"]
            for provider in byProvider.keys.sorted() {
                lines.append("  \(provider): \(byProvider[provider] ?? 0)")
            }
            lines.append("OAuth 2.0 token sets: \(tokenSets)")
            if updatesRead {
                lines.append("Oldest update: \(oldest.map(Self.format) ?? "-")")
                lines.append("Newest update: \(newest.map(Self.format) ?? "-")")
            }
            return lines.joined(separator: "\n")
        }

        func json() -> String {
            var object: [String: Any] = [
                "schemaVersion": schemaVersion, "requestTokens": requestTokens,
                "accessTokens": accessTokens, "accessTokensByProvider": byProvider, "tokenSets": tokenSets,
            ]
            if let oldest { object["oldestUpdatedAt"] = Self.format(oldest) }
            if let newest { object["newestUpdatedAt"] = Self.format(newest) }
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
                return "{}"
            }
            return String(decoding: data, as: UTF8.self)
        }

        static func format(_ date: Date) -> String {
            date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        }
    }

    static func collect(_ store: any TokenStore, updates: Bool) async throws -> Report {
        var report = Report()
        report.schemaVersion = try await store.schemaVersion()
        // Both may scan (SQL `count(*)` counts access tokens too): run them side by side.
        async let kinds = store.counts()
        async let providers = store.countAccessTokensByProvider()
        let counts = try await providers
        let totals = try await kinds
        report.requestTokens = totals.requestTokens
        report.tokenSets = totals.tokenSets
        report.byProvider = counts.byProvider
        report.accessTokens = counts.total
        guard updates else { return report }
        report.updatesRead = true
        var cursor: AccessTokenKey?
        repeat {
            let page = try await store.listAccessTokens(after: cursor, limit: 500)
            for token in page.tokens {
                if report.oldest.map({ token.updatedAt < $0 }) ?? true { report.oldest = token.updatedAt }
                if report.newest.map({ token.updatedAt > $0 }) ?? true { report.newest = token.updatedAt }
            }
            cursor = page.nextCursor
        } while cursor != nil
        return report
    }
}
