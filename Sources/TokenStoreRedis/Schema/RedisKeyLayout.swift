import TokenStoreKit

/// The keys of one bucket of a store, all under one Redis Cluster hash tag so every key
/// an operation touches (a record and its indexes) hashes to one slot. A store of one
/// bucket (the default, and every store written before buckets) uses the tag `{prefix}`
/// for all its keys; a spread store (``RedisStoreLayout``) keeps its schema and bucket
/// count under `{prefix}` and each bucket's keys under the bucket's tag `{prefix{n}`, in
/// the same layout as below.
///
/// ```
/// {prefix}:schema          string  schema version ("3"; "2" before token sets, "1" before
///                                  per-provider counters)
/// {prefix}:rt:<token>      string  a request token record, expired by the server (PX)
/// {prefix}:idx:rt:expiry   zset    score = expiresAt (ms), member = token: count, purge
/// {prefix}:idx:rt:lex      zset    score 0, member = token: keyset listing (ZRANGEBYLEX)
/// {prefix}:at:<member>     hash    an access token's fields
/// {prefix}:idx:at          zset    score 0, member = <member>: count, keyset listing
/// {prefix}:idx:at:count    hash    field = <member>'s provider part, value = its members
/// {prefix}:idx:at:count:cursor  string  while counters are rebuilt: counted up to here
/// {prefix}:ts:<member>     hash    an OAuth 2.0 token set's fields, its version and its
///                                  refresh lease (owner, expiry ms)
/// {prefix}:idx:ts          zset    score 0, member = <member>: count, keyset listing
/// ```
///
/// The counters change in the same script as the index (a member added or removed), so
/// they always equal the index's members per provider. A store written by schema 1 has no
/// counters: the first count builds them in steps (``RedisScripts/rebuildCounts``), then
/// writes the current schema version. Token sets added only keys, so a store at 2 is
/// raised to 3 when opened (``RedisScripts/raiseSchema``), nothing else written.
///
/// `<member>` is the provider with each NUL byte written as NUL 0xFF, then a NUL, then the
/// user id. UTF-8 never contains 0xFF, so the encoding is unambiguous and byte order of
/// members equals ``AccessTokenKey`` order. Records live under `rt:`/`at:` and indexes
/// under `idx:`, so no token or user id can name an index key. A token set's hash lives
/// under `ts:`, apart from the access token under the same key.
///
/// A class, not a struct: every call takes its bucket's layout, and copying ten arrays
/// cost ten retains and releases per call (see Benchmarks/README.md, "Per-call costs a
/// profile named").
package final class RedisKeyLayout: Sendable {
    package let schema: [UInt8]
    package let requestTokenPrefix: [UInt8]
    package let requestExpiryIndex: [UInt8]
    package let requestLexIndex: [UInt8]
    package let accessTokenPrefix: [UInt8]
    package let accessIndex: [UInt8]
    package let accessCounts: [UInt8]
    package let accessCountCursor: [UInt8]
    package let tokenSetPrefix: [UInt8]
    package let tokenSetIndex: [UInt8]
    /// The cluster slot every key of this layout hashes to (see ``RedisSlot``).
    package let slot: UInt16

    /// The layout of a one-bucket store: every key under `{prefix}`.
    package convenience init(prefix: String) {
        self.init(tag: prefix)
    }

    /// The layout of the keys under the hash tag `tag`: `{tag}:...` (`tag` non-empty,
    /// without `}`).
    package init(tag hashTag: String) {
        let tag = Array("{\(hashTag)}:".utf8)
        slot = RedisSlot.of(tag)
        schema = tag + Array("schema".utf8)
        requestTokenPrefix = tag + Array("rt:".utf8)
        requestExpiryIndex = tag + Array("idx:rt:expiry".utf8)
        requestLexIndex = tag + Array("idx:rt:lex".utf8)
        accessTokenPrefix = tag + Array("at:".utf8)
        accessIndex = tag + Array("idx:at".utf8)
        accessCounts = tag + Array("idx:at:count".utf8)
        accessCountCursor = tag + Array("idx:at:count:cursor".utf8)
        tokenSetPrefix = tag + Array("ts:".utf8)
        tokenSetIndex = tag + Array("idx:ts".utf8)
    }

    /// Every fixed key, for tests and cleanup.
    package var fixedKeys: [[UInt8]] {
        [schema, requestExpiryIndex, requestLexIndex, accessIndex, accessCounts, accessCountCursor, tokenSetIndex]
    }

    package func requestTokenKey(_ token: String) -> [UInt8] { requestTokenPrefix + Array(token.utf8) }

    package func accessTokenKey(member: [UInt8]) -> [UInt8] { accessTokenPrefix + member }

    package func tokenSetKey(member: [UInt8]) -> [UInt8] { tokenSetPrefix + member }

    /// The index member of `key`, ordered like ``AccessTokenKey``.
    package static func member(of key: AccessTokenKey) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(memberLength(of: key))
        appendMember(of: key, to: &bytes)
        return bytes
    }

    /// The byte count of ``member(of:)``.
    static func memberLength(of key: AccessTokenKey) -> Int {
        var length = key.provider.utf8.count + key.userID.utf8.count + 1
        for byte in key.provider.utf8 where byte == 0 { length += 1 }
        return length
    }

    static func appendMember(of key: AccessTokenKey, to bytes: inout [UInt8]) {
        for byte in key.provider.utf8 {
            bytes.append(byte)
            if byte == 0 { bytes.append(0xFF) }
        }
        bytes.append(0)
        bytes.append(contentsOf: key.userID.utf8)
    }

    /// The counter field of `provider` in ``accessCounts``: the provider part of its
    /// members (NUL written as NUL 0xFF).
    package static func counterField(ofProvider provider: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(provider.utf8.count)
        for byte in provider.utf8 {
            bytes.append(byte)
            if byte == 0 { bytes.append(0xFF) }
        }
        return bytes
    }

    /// The provider a counter field names, or `nil` for bytes no store wrote.
    package static func provider(ofCounterField field: [UInt8]) -> String? {
        guard let key = key(ofMember: field + [0]), key.userID.isEmpty else { return nil }
        return key.provider
    }

    /// Writes the counter field of `key`'s provider as one argument, built in place.
    static func writeCounterField(of key: AccessTokenKey, to out: inout RESPWriter) {
        var length = key.provider.utf8.count
        for byte in key.provider.utf8 where byte == 0 { length += 1 }
        out.argument(length: length) { bytes in
            for byte in key.provider.utf8 {
                bytes.append(byte)
                if byte == 0 { bytes.append(0xFF) }
            }
        }
    }

    /// Writes the index member of `key` as one argument, built in place.
    static func writeMember(of key: AccessTokenKey, to out: inout RESPWriter) {
        out.argument(length: memberLength(of: key)) { bytes in appendMember(of: key, to: &bytes) }
    }

    /// Writes the access-token hash key of `key` as one argument, built in place.
    func writeAccessTokenKey(_ key: AccessTokenKey, to out: inout RESPWriter) {
        let prefix = accessTokenPrefix
        out.argument(length: prefix.count + Self.memberLength(of: key)) { bytes in
            bytes.append(contentsOf: prefix)
            Self.appendMember(of: key, to: &bytes)
        }
    }

    /// Writes the token-set hash key of `key` as one argument, built in place.
    func writeTokenSetKey(_ key: AccessTokenKey, to out: inout RESPWriter) {
        let prefix = tokenSetPrefix
        out.argument(length: prefix.count + Self.memberLength(of: key)) { bytes in
            bytes.append(contentsOf: prefix)
            Self.appendMember(of: key, to: &bytes)
        }
    }

    /// The key a member encodes, or `nil` for bytes no store wrote.
    package static func key(ofMember member: [UInt8]) -> AccessTokenKey? {
        var provider: [UInt8] = []
        var index = 0
        while index < member.count {
            let byte = member[index]
            if byte == 0 {
                if index + 1 < member.count, member[index + 1] == 0xFF {
                    provider.append(0)
                    index += 2
                    continue
                }
                guard let providerText = String(validating: provider, as: UTF8.self),
                    let userText = String(validating: member[(index + 1)...], as: UTF8.self)
                else { return nil }
                return AccessTokenKey(provider: providerText, userID: userText)
            }
            provider.append(byte)
            index += 1
        }
        return nil
    }
}
