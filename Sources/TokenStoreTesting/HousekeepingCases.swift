import Foundation
import TokenStoreKit

/// Counts, schema version, close, and what errors may say.
enum HousekeepingCases {
    /// Counts are checked as differences. Another writer on shared storage can shift a
    /// difference, so the case tries three times and reports only the last attempt: a
    /// driver that counts wrong fails every attempt.
    static func counts(_ c: ConformanceContext) async throws {
        for attempt in 1...3 {
            var problems: [String] = []
            let before = try await c.store.counts()
            if before.requestTokens < 0 || before.accessTokens < 0 { problems.append("negative counts \(before)") }
            let access = (0..<4).map { c.accessToken(userID: "c\(attempt)-\($0)") }
            for token in access { try await c.store.saveAccessToken(token) }
            try await c.store.saveAccessToken(access[0])  // an update is not a new token
            let requests = (0..<3).map { c.requestToken("c\(attempt)-\($0)", ttl: .seconds(120)) }
            for token in requests { try await c.store.saveRequestToken(token) }
            try await c.store.saveRequestToken(requests[0])
            let after = try await c.store.counts()
            if after.accessTokens - before.accessTokens != 4 {
                problems.append("access token count grew by \(after.accessTokens - before.accessTokens) after 4 inserts and 1 update")
            }
            if after.requestTokens - before.requestTokens != 3 {
                problems.append("request token count grew by \(after.requestTokens - before.requestTokens) after 3 saves and 1 replacement")
            }
            _ = try await c.store.takeRequestToken(requests[1].token)
            try await c.store.deleteAccessToken(for: access[1].key)
            let afterRemoval = try await c.store.counts()
            if after.accessTokens - afterRemoval.accessTokens != 1 {
                problems.append("access token count fell by \(after.accessTokens - afterRemoval.accessTokens) after 1 delete")
            }
            if after.requestTokens - afterRemoval.requestTokens != 1 {
                problems.append("request token count fell by \(after.requestTokens - afterRemoval.requestTokens) after 1 take")
            }
            if problems.isEmpty { return }
            if attempt == 3 {
                for problem in problems { c.fail(problem + " (3 attempts; is another writer using the storage?)") }
            }
        }
    }

    static func schemaVersion(_ c: ConformanceContext) async throws {
        let version = try await c.store.schemaVersion()
        c.check(version >= 0, "schemaVersion is negative: \(version)")
        let again = try await c.store.schemaVersion()
        c.checkEqual(again, version, "schemaVersion changed between two calls")
        c.check(!c.store.displayName.isEmpty, "displayName is empty")
    }

    static func closeThenCall(_ c: ConformanceContext) async throws {
        let store = try await c.makeStore(c.clock.clock)
        let token = c.accessToken(userID: "closed")
        try await store.saveAccessToken(token)
        try await store.close()
        try await store.close()
        let request = c.requestToken("closed")
        let tokenSet = c.tokenSet(userID: "closed")
        let calls: [(String, @Sendable () async throws -> Void)] = [
            ("saveRequestToken", { try await store.saveRequestToken(request) }),
            ("takeRequestToken", { _ = try await store.takeRequestToken(request.token) }),
            ("purgeExpiredRequestTokens", { _ = try await store.purgeExpiredRequestTokens() }),
            ("listRequestTokens", { _ = try await store.listRequestTokens(after: nil, limit: 1) }),
            ("saveAccessToken", { try await store.saveAccessToken(token, policy: .overwrite) }),
            ("saveAccessTokens", { try await store.saveAccessTokens([token], policy: .overwrite) }),
            ("accessToken", { _ = try await store.accessToken(for: token.key) }),
            ("deleteAccessToken", { try await store.deleteAccessToken(for: token.key) }),
            ("listAccessTokens", { _ = try await store.listAccessTokens(after: nil, limit: 1) }),
            ("saveTokenSet", { try await store.saveTokenSet(tokenSet, policy: .overwrite) }),
            ("saveTokenSets", { try await store.saveTokenSets([tokenSet], policy: .overwrite) }),
            ("tokenSet", { _ = try await store.tokenSet(for: tokenSet.key) }),
            ("deleteTokenSet", { try await store.deleteTokenSet(for: tokenSet.key) }),
            ("listTokenSets", { _ = try await store.listTokenSets(after: nil, limit: 1) }),
            ("replaceTokenSet", { _ = try await store.replaceTokenSet(tokenSet, ifVersion: 1) }),
            ("acquireRefreshLease", { _ = try await store.acquireRefreshLease(for: tokenSet.key, owner: "o", duration: .seconds(1)) }),
            ("releaseRefreshLease", { try await store.releaseRefreshLease(for: tokenSet.key, owner: "o") }),
            ("counts", { _ = try await store.counts() }),
            ("schemaVersion", { _ = try await store.schemaVersion() }),
        ]
        for (name, call) in calls {
            let error = await c.expectError(.closed, "\(name) after close", call)
            if let error {
                c.check(!error.operation.isEmpty, "the .closed error of \(name) names no operation")
                c.check(!error.description.contains(token.secret) && !error.description.contains(request.secret),
                        "the .closed error of \(name) contains a secret")
            }
        }
        try await store.close()
        // The suite's own store (possibly over the same storage) still works.
        let read = try await c.store.accessToken(for: token.key)
        c.check(read == nil || read == token, "closing another store corrupted the token")
    }

    static func errorsRedact(_ c: ConformanceContext) async throws {
        let secret = "top-secret-\(UUID())"
        let requestSecret = "req-secret-\(UUID())"
        let token = AccessToken(
            provider: c.prefix + "p", userID: "err", token: "tok", secret: secret, createdAt: c.clock.now)
        let request = RequestToken(provider: c.prefix + "p", token: c.prefix + "err", secret: requestSecret, createdAt: c.clock.now)
        try await c.store.saveAccessToken(token)
        try await c.store.saveRequestToken(request)
        var errors: [TokenStoreError] = []
        if let error = await c.expectError(.invalidArgument, "listAccessTokens(limit: 0)", {
            _ = try await c.store.listAccessTokens(after: nil, limit: 0)
        }) { errors.append(error) }
        if let error = await c.expectError(.invalidArgument, "listRequestTokens(limit: 0)", {
            _ = try await c.store.listRequestTokens(after: nil, limit: 0)
        }) { errors.append(error) }
        let closing = try await c.makeStore(c.clock.clock)
        try await closing.close()
        if let error = await c.expectError(.closed, "saveAccessToken after close", {
            try await closing.saveAccessToken(token)
        }) { errors.append(error) }
        if let error = await c.expectError(.closed, "saveRequestToken after close", {
            try await closing.saveRequestToken(request)
        }) { errors.append(error) }
        for error in errors {
            c.check(!error.store.isEmpty, "error \(error) names no store")
            c.check(!error.operation.isEmpty, "error \(error) names no operation")
            c.check(error.description.contains(error.store) && error.description.contains(error.operation),
                    "description does not name the store and operation: \(error)")
            for text in [error.description, error.debugDescription, error.message, error.record ?? "", "\(error)"] {
                c.check(!text.contains(secret) && !text.contains(requestSecret), "an error message contains a secret: \(error.code)")
            }
        }
        c.check(errors.first?.store == c.store.displayName, "error names the store \(errors.first?.store ?? "nil"), expected \(c.store.displayName)")
        for text in [String(describing: token), String(reflecting: token), String(describing: request), String(reflecting: request)] {
            c.check(!text.contains(secret) && !text.contains(requestSecret), "a token's description shows its secret")
        }
        c.check(!c.store.displayName.contains(secret), "displayName contains a secret")
    }
}
