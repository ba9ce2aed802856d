import ArgumentParser
import Foundation
import TokenStoreKit

/// `tokenstore migrate --from URL --to URL`: copies tokens page by page between two stores.
///
/// Exit codes: 0 success, 1 failure, 3 verification mismatch, 64 usage error (EX_USAGE).
/// Access tokens are written with
/// `.ifNewer` (a newer destination token survives) unless `--overwrite`; request tokens keep
/// their own `expiresAt` and already-expired ones are skipped.
public struct MigrateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy tokens from one store to another in cursor pages and batches.")

    /// Which kinds of token to copy.
    public enum Only: String, ExpressibleByArgument, Sendable {
        case accessTokens = "access-tokens"
        case requestTokens = "request-tokens"
    }

    @Option(name: .customLong("from"), help: "The source store URL.")
    public var from: String

    @Option(name: .customLong("to"), help: "The destination store URL.")
    public var to: String

    @Option(name: .customLong("batch-size"), help: "Tokens per page and per write batch (default 500).")
    public var batchSize = 500

    @Option(name: .customLong("only"), help: "Copy only access-tokens or request-tokens.")
    public var only: Only?

    @Flag(name: .customLong("overwrite"), help: "Overwrite destination access tokens even when they are newer.")
    public var overwrite = false

    @Flag(name: .customLong("verify"), help: "After copying, compare every source access token with the destination; exit 3 on a difference.")
    public var verify = false

    @Flag(name: .customLong("dry-run"), help: "Count what would be copied; write nothing.")
    public var dryRun = false

    public init() {}

    public func validate() throws {
        guard (1...100_000).contains(batchSize) else {
            throw ValidationError("--batch-size must be between 1 and 100000")
        }
    }

    public func run() async throws {
        try await execute(console: .standard)
    }

    /// Runs the migration and prints a summary on `console`.
    ///
    /// - Throws: ``CLIFailure`` when a store cannot be opened, read or written.
    public func execute(console: CLIConsole) async throws {
        let source = try await Self.open(from)
        let destination: any TokenStore
        do {
            destination = try await Self.open(to)
        } catch {
            try? await source.close()
            throw error
        }
        do {
            let (access, request) = try await copy(source: source, destination: destination)
            let mismatch = verify && !dryRun && only != .requestTokens
                ? try await Self.firstDifference(source: source, destination: destination, pageSize: batchSize) : nil
            try? await source.close()
            try? await destination.close()
            let verb = dryRun ? "Would copy" : "Copied"
            console.print(
                "\(verb) \(access) access token(s) and \(request) request token(s) from "
                    + "\(StoreURLRedaction.redact(from)) to \(StoreURLRedaction.redact(to))")
            if let mismatch {
                console.printError("Verification failed: \(mismatch)")
                throw ExitCode(3)
            }
            if verify, !dryRun, only != .requestTokens { console.print("Verified: every source access token is in the destination") }
        } catch {
            try? await source.close()
            try? await destination.close()
            if let error = error as? TokenStoreError { throw CLIFailure(error.description) }
            throw error
        }
    }

    /// Looks every source access token up in the destination (order-independent) and
    /// names the first whose content differs; `nil` when all match.
    static func firstDifference(source: any TokenStore, destination: any TokenStore, pageSize: Int) async throws -> String? {
        var cursor: AccessTokenKey?
        repeat {
            let page = try await source.listAccessTokens(after: cursor, limit: pageSize)
            for token in page.tokens {
                let copy = try await destination.accessToken(for: token.key)
                if copy != token {
                    return "access token provider=\(token.provider) userID=\(token.userID) differs in the destination"
                }
            }
            cursor = page.nextCursor
        } while cursor != nil
        return nil
    }

    private static func open(_ url: String) async throws -> any TokenStore {
        do {
            return try await StoreDrivers.open(url)
        } catch let error as TokenStoreError {
            throw CLIFailure(error.description)
        }
    }

    private func copy(source: any TokenStore, destination: any TokenStore) async throws -> (Int, Int) {
        var access = 0
        var request = 0
        if only != .requestTokens {
            var cursor: AccessTokenKey?
            repeat {
                let page = try await source.listAccessTokens(after: cursor, limit: batchSize)
                if !dryRun, !page.tokens.isEmpty {
                    _ = try await destination.saveAccessTokens(page.tokens, policy: overwrite ? .overwrite : .ifNewer)
                }
                access += page.tokens.count
                cursor = page.nextCursor
            } while cursor != nil
        }
        if only != .accessTokens {
            var cursor: String?
            repeat {
                let page = try await source.listRequestTokens(after: cursor, limit: batchSize)
                let now = Date()
                for token in page.tokens where token.expiresAt > now {
                    if !dryRun { try await destination.saveRequestToken(token) }
                    request += 1
                }
                cursor = page.nextCursor
            } while cursor != nil
        }
        return (access, request)
    }
}
