import CTokenStoreOpenSSL
import OAuth1
import TokenStoreKit

/// The sealed form of a secret and the AES-256-GCM work behind it.
///
/// Format (version 1): `tsv1:<key id>:<base64url, unpadded, of nonce(12) | ciphertext | tag(16)>`.
/// The additional authenticated data is the length-prefixed (4-byte big-endian) list
/// `"tsv1"`, key id, kind (`request`/`access`), provider, and the user id (access) or
/// oauth_token (request): a ciphertext copied to another record, or relabelled with
/// another key id, fails to open.
enum SealedSecret {
    static let prefix = "tsv1:"
    static let nonceCount = 12
    static let tagCount = 16
    /// The longest secret sealed or opened, in UTF-8 bytes. OAuth secrets are tens of
    /// bytes; the bound keeps every length within OpenSSL's `int` and refuses a stored
    /// value blown up behind the store's back before it is decoded into memory.
    static let maximumSecretBytes = 1 << 20

    /// Why opening failed; turned into a `TokenStoreError` naming the record by the store.
    enum OpenFailure: Error, Equatable {
        case notSealed
        case malformed
        case unknownKey(String)
        case authenticationFailed(String)
        case cipher
    }

    static func isSealed(_ value: String) -> Bool { value.hasPrefix(prefix) }

    static func additionalData(keyID: String, kind: String, provider: String, id: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in ["tsv1", keyID, kind, provider, id] {
            let utf8 = Array(field.utf8)
            let count = UInt32(truncatingIfNeeded: utf8.count)
            bytes += [UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
            bytes += utf8
        }
        return bytes
    }

    /// Seals `secret` under `key`; `nil` only when OpenSSL fails.
    static func seal(_ secret: String, key: SealingKey, kind: String, provider: String, id: String) -> String? {
        var nonce = [UInt8](repeating: 0, count: nonceCount)
        guard nonce.withUnsafeMutableBufferPointer({ RAND_bytes($0.baseAddress, Int32(nonceCount)) }) == 1 else {
            return nil
        }
        let aad = additionalData(keyID: key.id, kind: kind, provider: provider, id: id)
        guard let (ciphertext, tag) = aesGCM(
            encrypt: true, key: key.material, nonce: nonce, aad: aad, input: Array(secret.utf8), tag: nil)
        else { return nil }
        return prefix + key.id + ":" + OAuth1Base64.encodeURL(nonce + ciphertext + tag)
    }

    /// Opens a sealed value with the ring's key named in it.
    static func open(_ value: String, ring: SealingKeyRing, kind: String, provider: String, id: String)
        throws(OpenFailure) -> String
    {
        guard isSealed(value) else { throw .notSealed }
        let rest = value.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { throw .malformed }
        let keyID = String(rest[..<colon])
        guard let key = ring.key(id: keyID) else { throw .unknownKey(String(keyID.prefix(64))) }
        let encoded = rest[rest.index(after: colon)...]
        guard encoded.utf8.count <= (nonceCount + maximumSecretBytes + tagCount) / 3 * 4 + 4,
              let bytes = OAuth1Base64.decode(String(encoded)),
              bytes.count >= nonceCount + tagCount
        else { throw .malformed }
        let nonce = Array(bytes[0..<nonceCount])
        let ciphertext = Array(bytes[nonceCount..<(bytes.count - tagCount)])
        let tag = Array(bytes[(bytes.count - tagCount)...])
        let aad = additionalData(keyID: keyID, kind: kind, provider: provider, id: id)
        guard let (plaintext, _) = aesGCM(
            encrypt: false, key: key.material, nonce: nonce, aad: aad, input: ciphertext, tag: tag)
        else { throw .authenticationFailed(keyID) }
        guard let secret = String(validating: plaintext, as: UTF8.self) else { throw .cipher }
        return secret
    }

    /// Returns the sealing key id of a sealed value, or `nil` for a plain one.
    static func keyID(of value: String) -> String? {
        guard isSealed(value) else { return nil }
        let rest = value.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        return String(rest[..<colon])
    }

    /// One AES-256-GCM pass. Encrypting returns (ciphertext, tag); decrypting checks `tag`
    /// and returns (plaintext, []), or `nil` when authentication fails.
    private static func aesGCM(
        encrypt: Bool, key: SealingKeyMaterial, nonce: [UInt8], aad: [UInt8], input: [UInt8], tag: [UInt8]?
    ) -> ([UInt8], [UInt8])? {
        // OpenSSL takes lengths as `int`; callers bound them far below (maximumSecretBytes).
        guard let inputCount = Int32(exactly: input.count), let aadCount = Int32(exactly: aad.count),
              let context = EVP_CIPHER_CTX_new()
        else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        let initialize = encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex
        let update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate
        guard initialize(context, SealingCipher.aes256GCM.pointer, nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
              key.withBytes({ initialize(context, nil, nil, $0.baseAddress, nonce) }) == 1
        else { return nil }
        var length: Int32 = 0
        if !aad.isEmpty {
            guard update(context, nil, &length, aad, aadCount) == 1 else { return nil }
        }
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var written = 0
        if !input.isEmpty {
            let status = output.withUnsafeMutableBufferPointer { buffer in
                update(context, buffer.baseAddress, &length, input, inputCount)
            }
            guard status == 1 else { return nil }
            written = Int(length)
        }
        if encrypt {
            let status = output.withUnsafeMutableBufferPointer { buffer in
                EVP_EncryptFinal_ex(context, buffer.baseAddress.map { $0 + written }, &length)
            }
            guard status == 1 else { return nil }
            written += Int(length)
            var tagOut = [UInt8](repeating: 0, count: tagCount)
            guard tagOut.withUnsafeMutableBytes({ raw in
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagCount), raw.baseAddress)
            }) == 1 else { return nil }
            return (Array(output[0..<written]), tagOut)
        } else {
            guard var expected = tag else { return nil }
            guard expected.withUnsafeMutableBytes({ raw in
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagCount), raw.baseAddress)
            }) == 1 else { return nil }
            let status = output.withUnsafeMutableBufferPointer { buffer in
                EVP_DecryptFinal_ex(context, buffer.baseAddress.map { $0 + written }, &length)
            }
            guard status == 1 else { return nil }
            written += Int(length)
            return (Array(output[0..<written]), [])
        }
    }
}
