import Foundation
import TokenStoreKit

/// Turns tokens into the values stored in Redis and back: the driver's only mapping
/// between the token models and what Redis holds.
///
/// Both kinds are lists of named fields. An access token is a hash with those fields, so
/// `HGETALL` in redis-cli shows it plainly. A request token must be one string (for
/// `GETDEL` and `SET ... PX`), so its fields are written as netstrings
/// (`<length>:<bytes>,`), name then value, starting with `v` = `1`: unambiguous for any
/// bytes and still readable. Free-form metadata entries are fields named `m:<name>`.
///
/// Access tokens are written by the upsert script (``writeUpsertArguments(of:to:)``) or,
/// into an empty store, by a plain `HSET` (``writeNewRecord(_:keys:to:)``), and read by
/// ``AccessTokenFields``. The script spells the fixed field names itself (see
/// ``RedisScripts/upsert``); every optional field goes to it by name from here.
package enum RedisRecordCodec {
    /// Why a stored value could not be decoded; never carries the value itself.
    package struct DecodeFailure: Error {
        package var reason: String
    }

    // MARK: Request tokens

    package static func encode(_ token: RequestToken) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + token.secret.utf8.count + token.token.utf8.count)
        func field(_ name: String, _ value: String) {
            netstring(name.utf8, into: &out)
            netstring(value.utf8, into: &out)
        }
        field("v", "1")
        field("provider", token.provider)
        field("token", token.token)
        field("secret", token.secret)
        if let value = token.context.callbackURL { field("callback_url", value) }
        if let value = token.context.returnTo { field("return_to", value) }
        if let value = token.context.sessionBinding { field("session_binding", value) }
        field("created_at", String(TokenTimestamp.milliseconds(token.createdAt)))
        field("expires_at", String(TokenTimestamp.milliseconds(token.expiresAt)))
        for (name, value) in token.context.metadata.sorted(by: { $0.key < $1.key }) { field("m:" + name, value) }
        return out
    }

    /// Decodes a request-token record. With `key`, the record must name that token: a
    /// record copied or renamed to another token's key is refused, never handed out as
    /// the token its key names.
    package static func decodeRequestToken(_ bytes: [UInt8], expecting key: String? = nil) throws(DecodeFailure) -> RequestToken {
        var result: Result<RequestToken, DecodeFailure> = .failure(DecodeFailure(reason: "empty record"))
        bytes.withUnsafeBytes { raw in
            result = Result { () throws(DecodeFailure) in try decodeRequestToken(raw, expecting: key) }
        }
        return try result.get()
    }

    /// Decodes a request-token record read in place (a reply buffer); `key` as in
    /// ``decodeRequestToken(_:expecting:)``.
    static func decodeRequestToken(_ bytes: UnsafeRawBufferPointer, expecting key: String?) throws(DecodeFailure) -> RequestToken {
        var fields: [String: String] = [:]
        var metadata: [String: String] = [:]
        var index = 0
        var first = true
        while index < bytes.count {
            let name = try readNetstring(bytes, &index)
            guard index < bytes.count else { throw DecodeFailure(reason: "a field name without a value") }
            let value = try readNetstring(bytes, &index)
            if first {
                guard name == "v" else { throw DecodeFailure(reason: "no version field") }
                guard value == "1" else { throw DecodeFailure(reason: "record version \(value.prefix(8)) is newer than this code") }
                first = false
                continue
            }
            if name.hasPrefix("m:") {
                metadata[String(name.dropFirst(2))] = value
            } else {
                fields[name] = value
            }
        }
        guard !first else { throw DecodeFailure(reason: "empty record") }
        guard let provider = fields["provider"], let token = fields["token"], let secret = fields["secret"],
            let created = fields["created_at"].flatMap({ Int64($0) }), let expires = fields["expires_at"].flatMap({ Int64($0) })
        else { throw DecodeFailure(reason: "a required field is missing or malformed") }
        if let key, token != key {
            throw DecodeFailure(reason: "the record names another token than its key (copied or renamed by hand?)")
        }
        return RequestToken(
            provider: provider, token: token, secret: secret,
            context: RequestTokenContext(
                callbackURL: fields["callback_url"], returnTo: fields["return_to"],
                sessionBinding: fields["session_binding"], metadata: metadata),
            createdAt: try storedDate(created, field: "created_at"), expiresAt: try storedDate(expires, field: "expires_at"))
    }

    /// The date of a stored millisecond field; refuses values outside
    /// ``TokenTimestamp/range``, which this driver never writes.
    static func storedDate(_ milliseconds: Int64, field: String) throws(DecodeFailure) -> Date {
        guard let date = TokenTimestamp.date(storedMilliseconds: milliseconds) else {
            throw DecodeFailure(reason: TokenTimestamp.outOfRangeProblem(field: field, value: milliseconds))
        }
        return date
    }

    private static func netstring(_ bytes: String.UTF8View, into out: inout [UInt8]) {
        out.append(contentsOf: String(bytes.count).utf8)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: bytes)
        out.append(UInt8(ascii: ","))
    }

    private static func readNetstring(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws(DecodeFailure) -> String {
        var length = 0
        var digits = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: ":") {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 10 else {
                throw DecodeFailure(reason: "malformed length")
            }
            length = length * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        guard digits > 0, index < bytes.count else { throw DecodeFailure(reason: "malformed length") }
        index += 1
        guard length <= bytes.count - index - 1, bytes[index + length] == UInt8(ascii: ",") else {
            throw DecodeFailure(reason: "truncated field")
        }
        guard let text = String(utf8Bytes: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + length)])) else {
            throw DecodeFailure(reason: "a field is not UTF-8")
        }
        index += length + 1
        return text
    }

    // MARK: Access tokens

    /// The hash fields of `token` except `created_at`, which the upsert script decides, in
    /// the order the writers below send them.
    package static func hashFields(_ token: AccessToken) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("provider", token.provider), ("user_id", token.userID), ("token", token.token), ("secret", token.secret),
            ("updated_at", String(TokenTimestamp.milliseconds(token.updatedAt))),
        ]
        forEachOptionalField(of: token) { name, value in fields.append((name.description, value)) }
        return fields
    }

    /// Calls `body` with the name and value of each optional field `token` has: screen
    /// name, access type, then each metadata entry as `m:<name>`, in name order.
    @inline(__always)
    private static func forEachOptionalField(of token: AccessToken, _ body: (FieldName, String) -> Void) {
        if let value = token.screenName { body(.fixed("screen_name"), value) }
        if let value = token.accessType { body(.fixed("access_type"), value) }
        if !token.metadata.isEmpty {
            for (name, value) in token.metadata.sorted(by: { $0.key < $1.key }) { body(.metadata(name), value) }
        }
    }

    /// A hash field's name: one of the model's fields, or a metadata entry's (`m:<name>`).
    private enum FieldName: CustomStringConvertible {
        case fixed(StaticString)
        case metadata(String)

        var description: String {
            switch self {
            case .fixed(let name): return name.description
            case .metadata(let name): return "m:" + name
            }
        }

        func write(to out: inout RESPWriter) {
            switch self {
            case .fixed(let name): out.argument(name)
            case .metadata(let name): out.argument("m:" + name)
            }
        }
    }

    /// How many field/value arguments `token`'s optional fields take.
    static func optionalFieldArgumentCount(_ token: AccessToken) -> Int {
        var fields = token.metadata.count
        if token.screenName != nil { fields += 1 }
        if token.accessType != nil { fields += 1 }
        return 2 * fields
    }

    /// How many arguments ``writeUpsertArguments(of:to:)`` writes for `token`.
    static func upsertArgumentCount(_ token: AccessToken) -> Int { 9 + optionalFieldArgumentCount(token) }

    /// One token's part of the upsert script's ARGV (see ``RedisScripts/upsert``): index
    /// member, counter field, `created_at` ms, the number n of optional field/value
    /// arguments, the values of `provider`, `user_id`, `token`, `secret`, `updated_at` (ms),
    /// then the n optional field/value arguments, written straight into `out`.
    static func writeUpsertArguments(of token: AccessToken, to out: inout RESPWriter) {
        let key = token.key
        RedisKeyLayout.writeMember(of: key, to: &out)
        RedisKeyLayout.writeCounterField(of: key, to: &out)
        out.argument(TokenTimestamp.milliseconds(token.createdAt))
        out.argument(optionalFieldArgumentCount(token))
        out.argument(token.provider)
        out.argument(token.userID)
        out.argument(token.token)
        out.argument(token.secret)
        out.argument(TokenTimestamp.milliseconds(token.updatedAt))
        writeOptionalFields(of: token, to: &out)
    }

    /// The `HSET` of a record that does not exist yet: every field, in the order the upsert
    /// script writes a new record's (its `created_at` included).
    static func writeNewRecord(_ token: AccessToken, keys: RedisKeyLayout, to out: inout RESPWriter) {
        out.command(14 + optionalFieldArgumentCount(token))
        out.argument("HSET")
        keys.writeAccessTokenKey(token.key, to: &out)
        out.argument("created_at")
        out.argument(TokenTimestamp.milliseconds(token.createdAt))
        out.argument("provider")
        out.argument(token.provider)
        out.argument("user_id")
        out.argument(token.userID)
        out.argument("token")
        out.argument(token.token)
        out.argument("secret")
        out.argument(token.secret)
        out.argument("updated_at")
        out.argument(TokenTimestamp.milliseconds(token.updatedAt))
        writeOptionalFields(of: token, to: &out)
    }

    /// The ``optionalFieldArgumentCount(_:)`` field/value arguments of `token`.
    private static func writeOptionalFields(of token: AccessToken, to out: inout RESPWriter) {
        forEachOptionalField(of: token) { name, value in
            name.write(to: &out)
            out.argument(value)
        }
    }

    /// Decodes an `HGETALL` reply; `nil` when the hash does not exist (empty reply). With
    /// `key`, the hash must name that provider and user id (see
    /// ``AccessTokenFields/makeToken(expecting:)``).
    /// (The driver decodes in place with ``RESPParser/accessTokenHash(expecting:)``; this
    /// form is for replies already copied.)
    package static func decodeAccessToken(_ reply: RedisReply, expecting key: AccessTokenKey? = nil) throws(DecodeFailure) -> AccessToken? {
        guard case .array(let items) = reply else { throw DecodeFailure(reason: "not a hash") }
        if items.isEmpty { return nil }
        guard items.count % 2 == 0 else { throw DecodeFailure(reason: "odd field count") }
        var fields = AccessTokenFields()
        var index = 0
        while index < items.count {
            guard case .bulk(let name) = items[index], case .bulk(let value) = items[index + 1] else {
                throw DecodeFailure(reason: "a field is not UTF-8")
            }
            index += 2
            var failure: DecodeFailure?
            name.withUnsafeBytes { name in
                value.withUnsafeBytes { value in
                    do throws(DecodeFailure) { try fields.add(name: name, value: value) } catch { failure = error }
                }
            }
            if let failure { throw failure }
        }
        return try fields.makeToken(expecting: key)
    }

    /// The fields of an access-token hash, taken one by one as they are read.
    ///
    /// Field names are matched as bytes, straight into locals: no dictionary, and no
    /// `String` for a name (this runs on every `accessToken(for:)`).
    package struct AccessTokenFields {
        private var provider: String?
        private var userID: String?
        private var token: String?
        private var secret: String?
        private var screenName: String?
        private var accessType: String?
        private var created: String?
        private var updated: String?
        private var metadata: [String: String] = [:]

        package init() {}

        /// Takes one field. Unknown fields (a newer writer's) are ignored, but must still
        /// be text.
        package mutating func add(name: UnsafeRawBufferPointer, value valueBytes: UnsafeRawBufferPointer) throws(DecodeFailure) {
            guard let value = String(utf8Bytes: valueBytes) else {
                throw DecodeFailure(reason: "a field is not UTF-8")
            }
            if name.count >= 2, name[0] == UInt8(ascii: "m"), name[1] == UInt8(ascii: ":") {
                guard let metadataName = String(utf8Bytes: UnsafeRawBufferPointer(rebasing: name[2...])) else {
                    throw DecodeFailure(reason: "a field is not UTF-8")
                }
                metadata[metadataName] = value
            } else if matches(name, "provider") {
                provider = value
            } else if matches(name, "user_id") {
                userID = value
            } else if matches(name, "token") {
                token = value
            } else if matches(name, "secret") {
                secret = value
            } else if matches(name, "screen_name") {
                screenName = value
            } else if matches(name, "access_type") {
                accessType = value
            } else if matches(name, "created_at") {
                created = value
            } else if matches(name, "updated_at") {
                updated = value
            } else if String(utf8Bytes: name) == nil {
                throw DecodeFailure(reason: "a field is not UTF-8")
            }
        }

        /// The token the fields make. With `key`, the fields must name that provider and
        /// user id: a hash copied or renamed to another key is refused, never returned as
        /// the token its key names.
        package func makeToken(expecting key: AccessTokenKey? = nil) throws(DecodeFailure) -> AccessToken {
            guard let provider, let userID, let token, let secret, let created = created.flatMap({ Int64($0) }),
                let updated = updated.flatMap({ Int64($0) })
            else { throw DecodeFailure(reason: "a required field is missing or malformed") }
            if let key, key.provider != provider || key.userID != userID {
                throw DecodeFailure(reason: "the hash names another provider/user id than its key (copied or renamed by hand?)")
            }
            return AccessToken(
                provider: provider, userID: userID, token: token, secret: secret,
                screenName: screenName, accessType: accessType,
                createdAt: try RedisRecordCodec.storedDate(created, field: "created_at"),
                updatedAt: try RedisRecordCodec.storedDate(updated, field: "updated_at"), metadata: metadata)
        }

        @inline(__always)
        private func matches(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
            bytes.count == name.utf8CodeUnitCount && name.withUTF8Buffer { bytes.elementsEqual($0) }
        }
    }
}

extension RedisRecordCodec {
    // MARK: Token sets

    /// The hash fields of a token set. The scripts spell them through these constants
    /// (``RedisScripts``), so the names live only here.
    package enum TokenSetField {
        static let provider = "provider"
        static let userID = "user_id"
        static let accessToken = "access_token"
        static let tokenType = "token_type"
        static let expiresAt = "expires_at"
        static let refreshToken = "refresh_token"
        static let scope = "scope"
        static let idToken = "id_token"
        static let screenName = "screen_name"
        static let invalidatedAt = "invalidated_at"
        /// Decided by the scripts: kept from the stored hash on every replacement.
        static let createdAt = "created_at"
        static let updatedAt = "updated_at"
        /// Assigned by the scripts: 1 for a new hash, one more on every write.
        static let version = "version"
        /// The refresh lease: its owner and its expiry (ms by the store's clock). Not part
        /// of the token set; a save keeps them, a compare-and-set or a delete removes them.
        static let leaseOwner = "lease_owner"
        static let leaseExpiresAt = "lease_expires_at"
        /// Metadata entries are fields named `m:<name>`.
        static let metadataPrefix = "m:"
    }

    /// How many field/value arguments ``writeTokenSetFields(of:to:)`` writes.
    static func tokenSetFieldArgumentCount(_ tokenSet: OAuth2TokenSet) -> Int {
        var fields = 5 + tokenSet.metadata.count
        if tokenSet.expiresAt != nil { fields += 1 }
        if tokenSet.refreshToken != nil { fields += 1 }
        if tokenSet.scope != nil { fields += 1 }
        if tokenSet.idToken != nil { fields += 1 }
        if tokenSet.screenName != nil { fields += 1 }
        if tokenSet.invalidatedAt != nil { fields += 1 }
        return 2 * fields
    }

    /// Every field of `tokenSet` as field/value arguments, except `created_at` and
    /// `version`, which the scripts decide: the required fields, then the optional ones it
    /// has, then each metadata entry in name order.
    static func writeTokenSetFields(of tokenSet: OAuth2TokenSet, to out: inout RESPWriter) {
        typealias F = TokenSetField
        func field(_ name: String, _ value: String) {
            out.argument(name)
            out.argument(value)
        }
        func date(_ name: String, _ value: Date) {
            out.argument(name)
            out.argument(TokenTimestamp.milliseconds(value))
        }
        field(F.provider, tokenSet.provider)
        field(F.userID, tokenSet.userID)
        field(F.accessToken, tokenSet.accessToken)
        field(F.tokenType, tokenSet.tokenType)
        date(F.updatedAt, tokenSet.updatedAt)
        if let value = tokenSet.expiresAt { date(F.expiresAt, value) }
        if let value = tokenSet.refreshToken { field(F.refreshToken, value) }
        if let value = tokenSet.scope { field(F.scope, value) }
        if let value = tokenSet.idToken { field(F.idToken, value) }
        if let value = tokenSet.screenName { field(F.screenName, value) }
        if let value = tokenSet.invalidatedAt { date(F.invalidatedAt, value) }
        for (name, value) in tokenSet.metadata.sorted(by: { $0.key < $1.key }) { field(F.metadataPrefix + name, value) }
    }

    /// Decodes an `HGETALL` reply of a token set's hash; `nil` when the hash does not exist
    /// (empty reply). With `key`, the hash must name that provider and user id: a hash
    /// copied or renamed to another key is refused. The lease fields are not part of the
    /// token set and are skipped; unknown fields (a newer writer's) are ignored but must
    /// be text.
    package static func decodeTokenSet(_ reply: RedisReply, expecting key: AccessTokenKey? = nil) throws(DecodeFailure) -> OAuth2TokenSet? {
        typealias F = TokenSetField
        guard case .array(let items) = reply else { throw DecodeFailure(reason: "not a hash") }
        if items.isEmpty { return nil }
        guard items.count % 2 == 0 else { throw DecodeFailure(reason: "odd field count") }
        var fields: [String: String] = [:]
        var metadata: [String: String] = [:]
        var index = 0
        while index < items.count {
            guard case .bulk(let nameBytes) = items[index], case .bulk(let valueBytes) = items[index + 1],
                let name = String(validating: nameBytes, as: UTF8.self), let value = String(validating: valueBytes, as: UTF8.self)
            else { throw DecodeFailure(reason: "a field is not UTF-8") }
            index += 2
            if name.hasPrefix(F.metadataPrefix) {
                metadata[String(name.dropFirst(F.metadataPrefix.count))] = value
            } else {
                fields[name] = value
            }
        }
        func milliseconds(_ name: String) throws(DecodeFailure) -> Date? {
            guard let text = fields[name] else { return nil }
            guard let value = Int64(text) else { throw DecodeFailure(reason: "\(name) is not a number") }
            return try storedDate(value, field: name)
        }
        guard let provider = fields[F.provider], let userID = fields[F.userID], let accessToken = fields[F.accessToken],
            let tokenType = fields[F.tokenType], let version = fields[F.version].flatMap({ Int64($0) }), version >= 1,
            let createdAt = try milliseconds(F.createdAt), let updatedAt = try milliseconds(F.updatedAt)
        else { throw DecodeFailure(reason: "a required field is missing or malformed") }
        if let key, key.provider != provider || key.userID != userID {
            throw DecodeFailure(reason: "the hash names another provider/user id than its key (copied or renamed by hand?)")
        }
        return OAuth2TokenSet(
            provider: provider, userID: userID, accessToken: accessToken, tokenType: tokenType,
            expiresAt: try milliseconds(F.expiresAt), refreshToken: fields[F.refreshToken], scope: fields[F.scope],
            idToken: fields[F.idToken], screenName: fields[F.screenName], metadata: metadata,
            createdAt: createdAt, updatedAt: updatedAt, invalidatedAt: try milliseconds(F.invalidatedAt), version: version)
    }

    /// The stored `created_at` a compare-and-set script returns, as a date.
    static func decodeCreatedAt(_ bytes: [UInt8]) throws(DecodeFailure) -> Date {
        guard let value = Int64(String(decoding: bytes, as: UTF8.self)) else {
            throw DecodeFailure(reason: "\(TokenSetField.createdAt) is not a number")
        }
        return try storedDate(value, field: TokenSetField.createdAt)
    }
}

/// What an `HGETALL` of an access token's hash held.
enum AccessTokenRead: Sendable {
    case found(AccessToken)
    case missing
    case corrupt(RedisRecordCodec.DecodeFailure)
    /// Not a hash: an error reply, or something this driver never asks for.
    case other(RedisReply)
}

extension RESPParser {
    /// Reads an `HGETALL` reply straight from the buffer into an access token: only the
    /// token's own Strings are allocated. With `key`, the hash must name it.
    mutating func accessTokenHash(expecting key: AccessTokenKey? = nil) -> AccessTokenRead {
        guard let count = arrayHeader() else { return .other(reply()) }
        if count == 0 { return .missing }
        guard count > 0 else { return .corrupt(RedisRecordCodec.DecodeFailure(reason: "not a hash")) }
        guard count % 2 == 0 else { return .corrupt(RedisRecordCodec.DecodeFailure(reason: "odd field count")) }
        var fields = RedisRecordCodec.AccessTokenFields()
        for _ in 0..<(count / 2) {
            guard case .some(.some(let name)) = bulk(), case .some(.some(let value)) = bulk() else {
                return .corrupt(RedisRecordCodec.DecodeFailure(reason: "a field is not UTF-8"))
            }
            do {
                try fields.add(name: name, value: value)
            } catch {
                return .corrupt(error)
            }
        }
        do {
            return .found(try fields.makeToken(expecting: key))
        } catch {
            return .corrupt(error)
        }
    }
}

/// What the `MULTI`, `GETDEL`, `ZREM`, `ZREM`, `EXEC` of a take returned.
enum TakeRead: Sendable {
    /// The transaction ran and there was no such record.
    case missing
    /// The transaction ran and took this record.
    case record(Result<RequestToken, RedisRecordCodec.DecodeFailure>)
    /// Anything else (an error reply, an aborted transaction): the replies, copied.
    case replies([RedisReply])
}

extension RESPParser {
    /// Reads a take transaction's replies, decoding the record straight from the buffer
    /// when every reply is the expected shape. The record must name `key`.
    mutating func takenRequestToken(_ count: Int, expecting key: String) -> TakeRead {
        var copied = self
        guard count == 5 else { return .replies(copied.replies(count)) }
        for _ in 0..<4 {
            guard nextType == UInt8(ascii: "+") else { return .replies(copied.replies(count)) }
            skip()
        }
        guard arrayHeader() == 3, case .some(let value) = bulk() else { return .replies(copied.replies(count)) }
        guard let value else { return .missing }
        do {
            return .record(.success(try RedisRecordCodec.decodeRequestToken(value, expecting: key)))
        } catch {
            return .record(.failure(error))
        }
    }
}
