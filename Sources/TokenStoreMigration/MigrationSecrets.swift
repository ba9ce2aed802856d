import TokenStoreKit
import TokenStoreSealing

/// Applies a migration's ``TokenMigration/SecretHandling`` to each record before it is
/// written: checks that sealed secrets open, opens or seals them as asked.
struct MigrationSecrets: Sendable {
    let handling: TokenMigration.SecretHandling
    /// Opens with the migration's keys; plain secrets pass through.
    let sealer: SealedTokenStore?
    let sourceName: String

    init(handling: TokenMigration.SecretHandling, keys: SealingKeyRing?, source: any TokenStore, sourceName: String) {
        self.handling = handling
        self.sealer = keys.map { SealedTokenStore(wrapping: source, keys: $0, allowPlaintext: true) }
        self.sourceName = sourceName
    }

    func prepare(_ token: AccessToken) throws -> AccessToken {
        let sealer = try requireSealer(
            keyID: SealedTokenStore.sealingKeyID(ofStoredSecret: token.secret), record: SealedTokenStore.record(token))
        guard let sealer else { return token }
        let opened = try sealer.open(token, operation: "migrate")
        switch handling {
        case .verbatim: return token
        case .unseal: return opened
        case .seal: return try sealer.seal(opened, operation: "migrate")
        }
    }

    func prepare(_ token: RequestToken) throws -> RequestToken {
        let sealer = try requireSealer(
            keyID: SealedTokenStore.sealingKeyID(ofStoredSecret: token.secret), record: SealedTokenStore.record(token))
        guard let sealer else { return token }
        var opened = try sealer.open(token, operation: "migrate")
        switch handling {
        case .verbatim: return token
        case .unseal: return opened
        case .seal:
            opened.secret = try sealer.seal(
                opened.secret, kind: "request", provider: token.provider, id: token.token, operation: "migrate",
                record: SealedTokenStore.record(token))
            return opened
        }
    }

    func prepare(_ tokenSet: OAuth2TokenSet) throws -> OAuth2TokenSet {
        // Any sealed field makes the whole set need the keys: all three are checked to open.
        let keyID = [tokenSet.accessToken, tokenSet.refreshToken, tokenSet.idToken]
            .lazy.compactMap { $0.flatMap(SealedTokenStore.sealingKeyID(ofStoredSecret:)) }.first
        let sealer = try requireSealer(keyID: keyID, record: SealedTokenStore.record(tokenSet))
        guard let sealer else { return tokenSet }
        let opened = try sealer.open(tokenSet, operation: "migrate")
        switch handling {
        case .verbatim: return tokenSet
        case .unseal: return opened
        case .seal: return try sealer.seal(opened, operation: "migrate")
        }
    }

    /// The sealer when the record needs one; `nil` for a plain record copied verbatim.
    private func requireSealer(keyID: String?, record: String) throws -> SealedTokenStore? {
        if handling == .verbatim, keyID == nil { return nil }
        guard let sealer else {
            throw TokenStoreError(
                .sealing, store: sourceName, operation: "migrate",
                message: "the source holds secrets sealed with key '\(String((keyID ?? "?").prefix(64)))'; "
                    + "give the sealing keys (--sealing-keys FILE or \(SealingKeyRing.environmentVariable)) "
                    + "so every record is checked before it is written",
                record: record)
        }
        return sealer
    }
}
