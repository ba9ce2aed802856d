import Synchronization
import TokenStoreKit

/// A `TokenStore` that seals the `secret` of every request and access token (and the
/// access, refresh and ID tokens of every OAuth 2.0 token set) with
/// AES-256-GCM before handing it to the store it wraps, and opens it on the way back.
///
/// Any store can be wrapped: `SealedTokenStore(wrapping: try await registry.open(url), keys: ring)`.
/// Only secrets are sealed; providers, user ids, tokens, timestamps and metadata stay
/// readable so listing, keyset paging, counts and the atomic `take` work unchanged in the
/// wrapped store. Writes seal under ``SealingKeyRing/primary``; reads accept any key of
/// the ring.
///
/// The stored secret is `tsv1:<key id>:<base64url(nonce | ciphertext | tag)>` with a fresh
/// random 96-bit nonce per write. Its additional authenticated data binds it to its
/// record (kind, provider, user id or oauth_token), so a ciphertext moved to another record
/// fails to open. Secrets of up to 1 MiB (UTF-8) are sealed; a longer one is refused with
/// `TokenStoreError.Code.invalidArgument` and a stored value longer than that bound fails
/// to open like a tampered one.
///
/// Reading a record that cannot be opened (unknown key id, wrong key, tampered or moved
/// ciphertext) throws `TokenStoreError` with code `TokenStoreError.Code.sealing` whose
/// `TokenStoreError.record` names the record; a garbage secret is never returned. A
/// listing fails as a whole when one record of the page does not open.
///
/// A plain (unsealed) secret is refused the same way unless `allowPlaintext` is `true`;
/// then it is returned as stored and counted in ``plaintextReads``, so a later re-seal can
/// find and fix it. A plain secret that itself begins with `tsv1:` is read as sealed and
/// fails.
public final class SealedTokenStore: TokenStore {
    /// The store that holds the sealed records.
    public let wrapped: any TokenStore
    /// The keys used to seal and open.
    public let keys: SealingKeyRing
    /// Whether plain secrets are returned as stored instead of refused.
    public let allowPlaintext: Bool
    private let plaintextCounter = Atomic<Int>(0)

    /// Wraps `store`.
    ///
    /// - Parameters:
    ///   - store: the store that keeps the records; closing this store closes it.
    ///   - keys: the primary seals writes; any key opens reads.
    ///   - allowPlaintext: return unsealed secrets (counted in ``plaintextReads``) instead of
    ///     throwing; for sealing an existing plain store in place.
    public init(wrapping store: any TokenStore, keys: SealingKeyRing, allowPlaintext: Bool = false) {
        self.wrapped = store
        self.keys = keys
        self.allowPlaintext = allowPlaintext
    }

    /// Opens the store `url` names through `registry` and wraps it.
    ///
    /// - Throws: `TokenStoreError` from the registry or the driver.
    public static func open(
        _ url: String, keys: SealingKeyRing, allowPlaintext: Bool = false,
        registry: TokenStoreRegistry = .shared, options: TokenStoreOptions = TokenStoreOptions()
    ) async throws -> SealedTokenStore {
        let store = try await registry.open(url, options: options)
        return SealedTokenStore(wrapping: store, keys: keys, allowPlaintext: allowPlaintext)
    }

    /// How many plain secrets this store has returned (only with `allowPlaintext`).
    public var plaintextReads: Int { plaintextCounter.load(ordering: .relaxed) }

    /// The wrapped store's name with ` (sealed)` appended.
    public var displayName: String { wrapped.displayName + " (sealed)" }

    /// The id of the key that sealed `secret` as stored, or `nil` when it is plain.
    public static func sealingKeyID(ofStoredSecret secret: String) -> String? {
        SealedSecret.keyID(of: secret)
    }

    /// Whether `secret`, as stored, is in the sealed format (also a damaged one whose key
    /// id cannot be read): such a text is never a usable secret without the keys.
    public static func isSealed(storedSecret secret: String) -> Bool {
        SealedSecret.isSealed(secret)
    }

    // MARK: Request tokens

    public func saveRequestToken(_ token: RequestToken) async throws {
        var sealed = token
        sealed.secret = try seal(
            token.secret, kind: "request", provider: token.provider, id: token.token,
            operation: "saveRequestToken", record: Self.record(token))
        try await relabel { try await $0.saveRequestToken(sealed) }
    }

    @discardableResult
    public func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int {
        let sealed = try tokens.map { token in
            var sealed = token
            sealed.secret = try seal(
                token.secret, kind: "request", provider: token.provider, id: token.token,
                operation: "saveRequestTokens", record: Self.record(token))
            return sealed
        }
        return try await relabel { try await $0.saveRequestTokens(sealed) }
    }

    public func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        guard let token = try await relabel({ try await $0.takeRequestToken(oauthToken) }) else { return nil }
        return try open(token, operation: "takeRequestToken")
    }

    public func purgeExpiredRequestTokens() async throws -> Int {
        try await relabel { try await $0.purgeExpiredRequestTokens() }
    }

    public func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        var page = try await relabel { try await $0.listRequestTokens(after: cursor, limit: limit) }
        page.tokens = try page.tokens.map { try open($0, operation: "listRequestTokens") }
        return page
    }

    // MARK: Access tokens

    @discardableResult
    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        let sealed = try seal(token, operation: "saveAccessToken")
        return try await relabel { try await $0.saveAccessToken(sealed, policy: policy) }
    }

    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        let sealed = try tokens.map { try seal($0, operation: "saveAccessTokens") }
        return try await relabel { try await $0.saveAccessTokens(sealed, policy: policy) }
    }

    public func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        guard let token = try await relabel({ try await $0.accessToken(for: key) }) else { return nil }
        return try open(token, operation: "accessToken")
    }

    @discardableResult
    public func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        try await relabel { try await $0.deleteAccessToken(for: key) }
    }

    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        var page = try await relabel { try await $0.listAccessTokens(after: cursor, limit: limit) }
        page.tokens = try page.tokens.map { try open($0, operation: "listAccessTokens") }
        return page
    }

    // MARK: Housekeeping

    public func counts() async throws -> TokenCounts { try await relabel { try await $0.counts() } }

    /// The wrapped store's counts (providers are not sealed).
    public func countAccessTokensByProvider() async throws -> AccessTokenCounts {
        try await relabel { try await $0.countAccessTokensByProvider() }
    }

    public func schemaVersion() async throws -> Int { try await relabel { try await $0.schemaVersion() } }

    public func close() async throws { try await relabel { try await $0.close() } }

    // MARK: Sealing

    /// Runs `body` on the wrapped store, naming this store in its errors so callers see the
    /// ``displayName`` they know.
    package func relabel<Result>(_ body: (any TokenStore) async throws -> Result) async throws -> Result {
        do {
            return try await body(wrapped)
        } catch var error as TokenStoreError {
            error.store = displayName
            throw error
        }
    }

    package static func record(_ token: RequestToken) -> String { "request token \(token.provider)/\(token.token)" }
    package static func record(_ token: AccessToken) -> String { "access token \(token.provider)/\(token.userID)" }

    package func seal(_ token: AccessToken, operation: String) throws -> AccessToken {
        var sealed = token
        sealed.secret = try seal(
            token.secret, kind: "access", provider: token.provider, id: token.userID,
            operation: operation, record: Self.record(token))
        return sealed
    }

    package func seal(
        _ secret: String, kind: String, provider: String, id: String, operation: String, record: String
    ) throws -> String {
        guard secret.utf8.count <= SealedSecret.maximumSecretBytes else {
            throw TokenStoreError(
                .invalidArgument, store: displayName, operation: operation,
                message: "the secret is \(secret.utf8.count) bytes; a sealed store seals secrets of at most "
                    + "\(SealedSecret.maximumSecretBytes) bytes", record: record)
        }
        guard let sealed = SealedSecret.seal(secret, key: keys.primary, kind: kind, provider: provider, id: id)
        else {
            throw TokenStoreError(
                .sealing, store: displayName, operation: operation,
                message: "OpenSSL could not seal the secret", record: record)
        }
        return sealed
    }

    package func open(_ token: RequestToken, operation: String) throws -> RequestToken {
        var opened = token
        opened.secret = try open(
            token.secret, kind: "request", provider: token.provider, id: token.token,
            operation: operation, record: Self.record(token))
        return opened
    }

    package func open(_ token: AccessToken, operation: String) throws -> AccessToken {
        var opened = token
        opened.secret = try open(
            token.secret, kind: "access", provider: token.provider, id: token.userID,
            operation: operation, record: Self.record(token))
        return opened
    }

    func open(
        _ stored: String, kind: String, provider: String, id: String, operation: String, record: String
    ) throws -> String {
        do {
            return try SealedSecret.open(stored, ring: keys, kind: kind, provider: provider, id: id)
        } catch {
            let message: String
            switch error {
            case .notSealed:
                if allowPlaintext {
                    plaintextCounter.add(1, ordering: .relaxed)
                    return stored
                }
                message = "the stored secret is not sealed (plain text); open with allowPlaintext to read and re-seal it"
            case .malformed:
                message = "the sealed secret is malformed (not tsv1:<key id>:<base64url>)"
            case .unknownKey(let keyID):
                message = "sealed with key '\(keyID)', which is not in the key ring \(keys.keys.map(\.id))"
            case .authenticationFailed(let keyID):
                message = "the secret sealed with key '\(keyID)' does not open: wrong key material, "
                    + "tampered ciphertext, or a ciphertext copied from another record"
            case .cipher:
                message = "the opened secret is not UTF-8"
            }
            throw TokenStoreError(.sealing, store: displayName, operation: operation, message: message, record: record)
        }
    }
}
