import Foundation
import TokenStoreKit

/// Counts, schema version, close, and what errors may say.
enum HousekeepingCases {
    static func counts(_ c: ConformanceContext) async throws {
        let before = try await c.store.counts()
        c.check(before.requestTokens >= 0 && before.accessTokens >= 0, "negative counts \(before)")
        let access = (0..<4).map { c.accessToken(userID: "c\($0)") }
        for token in access { try await c.store.saveAccessToken(token) }
        try await c.store.saveAccessToken(access[0])  // an update is not a new token
        let requests = (0..<3).map { c.requestToken("c\($0)", ttl: .seconds(120)) }
        for token in requests { try await c.store.saveRequestToken(token) }
        try await c.store.saveRequestToken(requests[0])
        let after = try await c.store.counts()
        c.checkEqual(after.accessTokens - before.accessTokens, 4, "access token count difference after 4 inserts")
        c.checkEqual(after.requestTokens - before.requestTokens, 3, "request token count difference after 3 saves")
        _ = try await c.store.takeRequestToken(requests[1].token)
        try await c.store.deleteAccessToken(for: access[1].key)
        let afterRemoval = try await c.store.counts()
        c.checkEqual(after.accessTokens - afterRemoval.accessTokens, 1, "access token count after a delete")
        c.checkEqual(after.requestTokens - afterRemoval.requestTokens, 1, "request token count after a take")
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
