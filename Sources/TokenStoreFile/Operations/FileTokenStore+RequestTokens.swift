import Foundation
import Logging
import TokenStoreKit

extension FileTokenStore {
    func requestPath(_ token: String) -> String {
        requestDirectory + "/" + FileRecordNames.request(token)
    }

    func claimPath() -> String {
        requestDirectory + "/.claim-" + UUID().uuidString
    }

    public func saveRequestToken(_ token: RequestToken) async throws {
        let path = requestPath(token.token)
        try await onQueue("saveRequestToken") {
            try FileSystem.writeAtomically(FileRecord(token).encoded(), to: path, directory: self.requestDirectory)
            try FileSystem.syncDirectory(self.requestDirectory)
        }
    }

    public func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        let path = requestPath(oauthToken)
        let now = clock.now()
        return try await onQueue("takeRequestToken") { () throws -> RequestToken? in
            // The rename is the atomic step: one caller, in any process, moves the record
            // to its private claim; every other rename finds nothing.
            let claim = self.claimPath()
            guard try FileSystem.renameIfPresent(path, claim) else { return nil }
            let bytes: [UInt8]
            do throws(FileSystem.Failure) {
                bytes = try FileSystem.readFile(claim) ?? []
            } catch {
                FileSystem.restore(claim, to: path)
                // Name the record's own path, not the private claim name.
                var failure = error
                failure.path = path
                throw failure
            }
            let token: RequestToken
            do throws(FileRecord.Problem) {
                token = try FileRecord.decodeRequestToken(bytes)
            } catch {
                FileSystem.restore(claim, to: path)
                throw self.corrupted(path, "takeRequestToken", error.reason)
            }
            guard token.token == oauthToken else {
                FileSystem.restore(claim, to: path)
                // Under a hashed name another token may share the file name; under a hex
                // name the file holds a record that does not belong there.
                if case .hashed = FileRecordNames.parseRequest((path as NSString).lastPathComponent) { return nil }
                throw self.corrupted(path, "takeRequestToken")
            }
            _ = try FileSystem.unlinkIfPresent(claim)
            try FileSystem.syncDirectory(self.requestDirectory)
            return token.isExpired(at: now) ? nil : token
        }
    }

    /// Reads a request record for a scan; logs and returns `nil` for a damaged one.
    func readRequest(_ path: String, operation: String) -> RequestToken? {
        do {
            guard let bytes = try FileSystem.readFile(path) else { return nil }
            do throws(FileRecord.Problem) {
                return try FileRecord.decodeRequestToken(bytes)
            } catch {
                logger.warning(
                    "skipping a request token file that is not a record of this store",
                    metadata: [
                        "store": "\(displayName)", "operation": "\(operation)", "file": "\(path)", "problem": "\(error.reason)",
                    ])
            }
        } catch {
            logger.warning(
                "skipping an unreadable request token file",
                metadata: ["store": "\(displayName)", "operation": "\(operation)", "file": "\(path)", "error": "\(error)"])
        }
        return nil
    }

    public func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        guard limit >= 1 else {
            if closed { throw closedError("listRequestTokens") }
            throw TokenStoreError(
                .invalidArgument, store: displayName, operation: "listRequestTokens",
                message: "limit must be at least 1, got \(limit)")
        }
        let now = clock.now()
        let limit = min(limit, FileTokenStore.maxPageSize)
        return try await onQueue("listRequestTokens") {
            let after = cursor.map(ByteOrderedString.init)
            // The `limit + 1` smallest names above the cursor; one extra tells whether
            // another page follows. Memory stays at one page whatever the store's size.
            var page = BoundedSmallest<ByteOrderedString, RequestToken>(capacity: limit + 1)
            try FileSystem.forEachEntry(self.requestDirectory) { name in
                let path = self.requestDirectory + "/" + name
                switch FileRecordNames.parseRequest(name) {
                case .other:
                    return
                case .named(let token, _):
                    let key = ByteOrderedString(token)
                    if let after, !(after < key) { return }
                    guard page.admits(key) else { return }
                    if let record = self.readRequest(path, operation: "listRequestTokens"), !record.isExpired(at: now) {
                        guard record.token == token else {
                            self.logger.warning(
                                "skipping a request token file whose record does not match its name",
                                metadata: ["store": "\(self.displayName)", "file": "\(path)"])
                            return
                        }
                        page.insert(key, record)
                    }
                case .hashed:
                    guard let record = self.readRequest(path, operation: "listRequestTokens"), !record.isExpired(at: now)
                    else { return }
                    let key = ByteOrderedString(record.token)
                    if let after, !(after < key) { return }
                    page.insert(key, record)
                }
            }
            var tokens = page.values
            let more = tokens.count > limit
            if more { tokens.removeLast() }
            return RequestTokenPage(tokens: tokens, nextCursor: more ? tokens.last?.token : nil)
        }
    }
}
