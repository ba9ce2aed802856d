import Foundation
import TokenStoreKit
import TokenStoreSealing

extension TokenMigration {
    /// Walks source and destination side by side in key order (the kinds the migration
    /// copies: access tokens, OAuth 2.0 token sets, request tokens), counting and digesting
    /// the canonical encoding of every field of every record, and collecting the records
    /// that differ.
    ///
    /// A token set's `version` is neither digested nor compared: the destination assigns
    /// its own on every write, so a copy of a set at version 7 is at version 1.
    ///
    /// Memory stays flat: one page per side. When the migration transformed secrets
    /// (``SecretHandling/seal`` or ``SecretHandling/unseal``) both sides are compared with
    /// their secrets opened by ``keys``; otherwise as stored. Request tokens expiring
    /// within a minute are left out on both sides, so one expiring during the walk is not
    /// reported.
    ///
    /// - Parameters:
    ///   - pageSize: records per page on each side (default ``batchSize``).
    ///   - differenceLimit: how many differences to keep (all are counted).
    /// - Throws: `TokenStoreError` from either store, or a sealing error for a record that
    ///   does not open.
    public func verify(pageSize: Int? = nil, differenceLimit: Int = 5) async throws -> MigrationVerification {
        let limit = max(1, pageSize ?? batchSize)
        var result = MigrationVerification()
        let sourceSealer = verifiesOpenedSecrets ? keys.map { SealedTokenStore(wrapping: source, keys: $0, allowPlaintext: true) } : nil
        let destinationSealer = verifiesOpenedSecrets ? keys.map { SealedTokenStore(wrapping: destination, keys: $0, allowPlaintext: true) } : nil

        if kinds.includesAccess {
            var left = PagedReader<AccessToken, AccessTokenKey> { [source] cursor in
                let page = try await source.listAccessTokens(after: cursor, limit: limit)
                return (page.tokens, page.nextCursor)
            }
            var right = PagedReader<AccessToken, AccessTokenKey> { [destination] cursor in
                let page = try await destination.listAccessTokens(after: cursor, limit: limit)
                return (page.tokens, page.nextCursor)
            }
            let walk = try await Self.mergeWalk(
                &left, &right, differenceLimit: differenceLimit, result: &result, include: { _ in true },
                precedes: { $0.key < $1.key }, same: { $0.key == $1.key },
                encodeLeft: { try MigrationRecordEncoding.encode(sourceSealer?.open($0, operation: "verify") ?? $0) },
                encodeRight: { try MigrationRecordEncoding.encode(destinationSealer?.open($0, operation: "verify") ?? $0) },
                name: { SealedTokenStore.record($0) })
            result.source.accessTokens = walk.left.count
            result.source.accessDigest = walk.left.finish()
            result.destination.accessTokens = walk.right.count
            result.destination.accessDigest = walk.right.finish()
        }
        if kinds.includesTokenSets {
            var left = PagedReader<OAuth2TokenSet, AccessTokenKey> { [source] cursor in
                let page = try await source.listTokenSets(after: cursor, limit: limit)
                return (page.tokenSets, page.nextCursor)
            }
            var right = PagedReader<OAuth2TokenSet, AccessTokenKey> { [destination] cursor in
                let page = try await destination.listTokenSets(after: cursor, limit: limit)
                return (page.tokenSets, page.nextCursor)
            }
            let walk = try await Self.mergeWalk(
                &left, &right, differenceLimit: differenceLimit, result: &result, include: { _ in true },
                precedes: { $0.key < $1.key }, same: { $0.key == $1.key },
                encodeLeft: { try MigrationRecordEncoding.encode(sourceSealer?.open($0, operation: "verify") ?? $0) },
                encodeRight: { try MigrationRecordEncoding.encode(destinationSealer?.open($0, operation: "verify") ?? $0) },
                name: { SealedTokenStore.record($0) })
            result.source.tokenSets = walk.left.count
            result.source.tokenSetDigest = walk.left.finish()
            result.destination.tokenSets = walk.right.count
            result.destination.tokenSetDigest = walk.right.finish()
        }
        if kinds.includesRequest {
            let cutoff = Date().addingTimeInterval(60)
            var left = PagedReader<RequestToken, String> { [source] cursor in
                let page = try await source.listRequestTokens(after: cursor, limit: limit)
                return (page.tokens, page.nextCursor)
            }
            var right = PagedReader<RequestToken, String> { [destination] cursor in
                let page = try await destination.listRequestTokens(after: cursor, limit: limit)
                return (page.tokens, page.nextCursor)
            }
            let walk = try await Self.mergeWalk(
                &left, &right, differenceLimit: differenceLimit, result: &result, include: { $0.expiresAt > cutoff },
                precedes: { $0.token.utf8.lexicographicallyPrecedes($1.token.utf8) }, same: { $0.token == $1.token },
                encodeLeft: { try MigrationRecordEncoding.encode(sourceSealer?.open($0, operation: "verify") ?? $0) },
                encodeRight: { try MigrationRecordEncoding.encode(destinationSealer?.open($0, operation: "verify") ?? $0) },
                name: { SealedTokenStore.record($0) })
            result.source.requestTokens = walk.left.count
            result.source.requestDigest = walk.left.finish()
            result.destination.requestTokens = walk.right.count
            result.destination.requestDigest = walk.right.finish()
        }
        return result
    }

    /// Merges two key-ordered streams, digesting each side and recording differences.
    private static func mergeWalk<Token, Cursor>(
        _ left: inout PagedReader<Token, Cursor>, _ right: inout PagedReader<Token, Cursor>,
        differenceLimit: Int, result: inout MigrationVerification,
        include: (Token) -> Bool, precedes: (Token, Token) -> Bool, same: (Token, Token) -> Bool,
        encodeLeft: (Token) throws -> [UInt8], encodeRight: (Token) throws -> [UInt8], name: (Token) -> String
    ) async throws -> (left: MigrationDigest, right: MigrationDigest) {
        let leftDigest = MigrationDigest()
        let rightDigest = MigrationDigest()
        func note(_ kind: MigrationDifference.Kind, _ token: Token) {
            result.differenceCount += 1
            if result.differences.count < differenceLimit {
                result.differences.append(MigrationDifference(kind: kind, record: name(token)))
            }
        }
        var a = try await left.next(where: include)
        var b = try await right.next(where: include)
        while a != nil || b != nil {
            if let x = a, let y = b, same(x, y) {
                let encodedX = try encodeLeft(x)
                let encodedY = try encodeRight(y)
                leftDigest.add(encodedX)
                rightDigest.add(encodedY)
                if encodedX != encodedY { note(.contentDiffers, x) }
                a = try await left.next(where: include)
                b = try await right.next(where: include)
            } else if let x = a, b == nil || precedes(x, b ?? x) {
                leftDigest.add(try encodeLeft(x))
                note(.missingInDestination, x)
                a = try await left.next(where: include)
            } else if let y = b {
                rightDigest.add(try encodeRight(y))
                note(.extraInDestination, y)
                b = try await right.next(where: include)
            }
        }
        return (leftDigest, rightDigest)
    }
}
