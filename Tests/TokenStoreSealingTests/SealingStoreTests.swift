import Foundation
import Testing
import TokenStoreFile
import TokenStoreKit
import TokenStoreSealing

/// What the wrapped store holds, rotation, and every way opening can fail.
@Suite("SealedTokenStore", .inProcessTimeLimit)
struct SealingStoreTests {
    /// The inner store holds only `tsv1:` strings, never the secret.
    @Test func wrappedStoreHoldsCiphertextOnly() async throws {
        let inner = InMemoryTokenStore()
        let store = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        let accessSecret = "ACCESS-SECRET-\(UUID())"
        let requestSecret = "REQUEST-SECRET-\(UUID())"
        try await store.saveAccessToken(SealingFixtures.accessToken(secret: accessSecret))
        try await store.saveRequestToken(SealingFixtures.requestToken(secret: requestSecret))

        let rawAccess = try #require(try await inner.accessToken(provider: "twitter", userID: "u1"))
        #expect(rawAccess.secret.hasPrefix("tsv1:k1:"))
        #expect(!rawAccess.secret.contains(accessSecret))
        #expect(SealedTokenStore.sealingKeyID(ofStoredSecret: rawAccess.secret) == "k1")
        let rawRequests = try await inner.listRequestTokens(after: nil, limit: 10).tokens
        #expect(rawRequests.count == 1)
        #expect(rawRequests.allSatisfy { $0.secret.hasPrefix("tsv1:k1:") && !$0.secret.contains(requestSecret) })

        #expect(try await store.accessToken(provider: "twitter", userID: "u1")?.secret == accessSecret)
        #expect(try await store.takeRequestToken("rt1")?.secret == requestSecret)
    }

    /// Two writes of the same secret give different ciphertexts (fresh nonce per record).
    @Test func freshNoncePerWrite() async throws {
        let inner = InMemoryTokenStore()
        let store = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        try await store.saveAccessToken(SealingFixtures.accessToken(userID: "a", secret: "same"))
        try await store.saveAccessToken(SealingFixtures.accessToken(userID: "b", secret: "same"))
        let first = try #require(try await inner.accessToken(provider: "twitter", userID: "a")).secret
        let second = try #require(try await inner.accessToken(provider: "twitter", userID: "b")).secret
        #expect(first != second)
        try await store.saveAccessToken(SealingFixtures.accessToken(userID: "a", secret: "same"))
        #expect(try #require(try await inner.accessToken(provider: "twitter", userID: "a")).secret != first)
    }

    /// No byte of a sealed file store's directory contains a secret.
    @Test func fileStoreBytesHoldNoSecret() async throws {
        let directory = StoreTestDirectory("sealed-bytes")
        defer { directory.remove() }
        let store = SealedTokenStore(
            wrapping: try await FileTokenStore(configuration: .init(directory: directory.path)), keys: try SealingFixtures.ring("k1"))
        let secrets = (0..<3).map { "FILE-SECRET-\($0)-\(UUID())" }
        for (index, secret) in secrets.enumerated() {
            try await store.saveAccessToken(SealingFixtures.accessToken(userID: "u\(index)", secret: secret))
        }
        try await store.saveRequestToken(SealingFixtures.requestToken(secret: secrets[0] + "-request"))
        try await store.close()

        var files = 0
        let enumerator = try #require(FileManager.default.enumerator(atPath: directory.path))
        for case let relative as String in enumerator {
            let path = directory.path + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            files += 1
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(relative) holds a secret")
            }
            #expect(bytes.range(of: Data("tsv1:k1:".utf8)) != nil || !relative.contains("access"))
        }
        #expect(files >= 4)
    }

    /// Records sealed under k1 still open after k2 becomes primary; new writes use k2.
    @Test func rotation() async throws {
        let inner = InMemoryTokenStore()
        let old = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        try await old.saveAccessToken(SealingFixtures.accessToken(userID: "old", secret: "old-secret"))

        let rotated = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k2", "k1"))
        #expect(try await rotated.accessToken(provider: "twitter", userID: "old")?.secret == "old-secret")
        try await rotated.saveAccessToken(SealingFixtures.accessToken(userID: "new", secret: "new-secret"))
        let rawNew = try #require(try await inner.accessToken(provider: "twitter", userID: "new")).secret
        #expect(SealedTokenStore.sealingKeyID(ofStoredSecret: rawNew) == "k2")
        let listed = try await rotated.listAccessTokens(after: nil, limit: 10).tokens
        #expect(listed.map(\.secret).sorted() == ["new-secret", "old-secret"])

        // Re-saving an old record seals it under the primary.
        try await rotated.saveAccessToken(SealingFixtures.accessToken(userID: "old", secret: "old-secret"))
        let rawOld = try #require(try await inner.accessToken(provider: "twitter", userID: "old")).secret
        #expect(SealedTokenStore.sealingKeyID(ofStoredSecret: rawOld) == "k2")
    }

    /// Expects `body` to throw a `.sealing` error whose record names `record`.
    func expectSealingError(
        naming record: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("expected a sealing error", sourceLocation: sourceLocation)
        } catch let error as TokenStoreError {
            #expect(error.code == .sealing, sourceLocation: sourceLocation)
            #expect(error.record?.contains(record) == true, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func unknownKeyID() async throws {
        let inner = InMemoryTokenStore()
        try await SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
            .saveAccessToken(SealingFixtures.accessToken(secret: "s"))
        let other = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k9"))
        await expectSealingError(naming: "twitter/u1") {
            _ = try await other.accessToken(provider: "twitter", userID: "u1")
        }
        await expectSealingError(naming: "twitter/u1") { _ = try await other.listAccessTokens(after: nil, limit: 5) }
    }

    @Test func wrongKeyMaterialUnderTheSameID() async throws {
        let inner = InMemoryTokenStore()
        try await SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
            .saveAccessToken(SealingFixtures.accessToken(secret: "s"))
        let impostor = SealedTokenStore(
            wrapping: inner, keys: try SealingKeyRing(keys: [SealingFixtures.key("k1", salt: 7)]))
        await expectSealingError(naming: "twitter/u1") {
            _ = try await impostor.accessToken(provider: "twitter", userID: "u1")
        }
    }

    /// Flipping any single character of the sealed payload makes opening fail.
    @Test func flippedByte() async throws {
        let inner = InMemoryTokenStore()
        let store = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        try await store.saveAccessToken(SealingFixtures.accessToken(secret: "flip-me"))
        var raw = try #require(try await inner.accessToken(provider: "twitter", userID: "u1"))
        let sealed = Array(raw.secret.utf8)
        let payloadStart = "tsv1:k1:".utf8.count
        for position in stride(from: payloadStart, to: sealed.count, by: 5) {
            var tampered = sealed
            tampered[position] = tampered[position] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            raw.secret = String(decoding: tampered, as: UTF8.self)
            try await inner.saveAccessToken(raw)
            await expectSealingError(naming: "twitter/u1") {
                _ = try await store.accessToken(provider: "twitter", userID: "u1")
            }
        }
    }

    /// A ciphertext copied to another user, provider or request token does not open there.
    @Test func ciphertextMovedToAnotherRecord() async throws {
        let inner = InMemoryTokenStore()
        let store = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        try await store.saveAccessToken(SealingFixtures.accessToken(userID: "alice", secret: "alice-secret"))
        let sealed = try #require(try await inner.accessToken(provider: "twitter", userID: "alice")).secret

        try await inner.saveAccessToken(SealingFixtures.accessToken(userID: "mallory", secret: sealed))
        await expectSealingError(naming: "twitter/mallory") {
            _ = try await store.accessToken(provider: "twitter", userID: "mallory")
        }
        try await inner.saveAccessToken(SealingFixtures.accessToken(provider: "tumblr", userID: "alice", secret: sealed))
        await expectSealingError(naming: "tumblr/alice") {
            _ = try await store.accessToken(provider: "tumblr", userID: "alice")
        }
        try await inner.saveRequestToken(SealingFixtures.requestToken(token: "alice", secret: sealed))
        await expectSealingError(naming: "twitter/alice") { _ = try await store.takeRequestToken("alice") }
    }

    @Test func malformedSealedValue() async throws {
        let inner = InMemoryTokenStore()
        let store = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        for bad in ["tsv1:", "tsv1:k1", "tsv1:k1:", "tsv1:k1:!!!!", "tsv1:k1:AAAA"] {
            try await inner.saveAccessToken(SealingFixtures.accessToken(secret: bad))
            await expectSealingError(naming: "twitter/u1") {
                _ = try await store.accessToken(provider: "twitter", userID: "u1")
            }
        }
    }

    /// Secrets up to 1 MiB are sealed; a longer one is refused before anything is written,
    /// and a stored value longer than any sealed one fails to open without being decoded.
    @Test func secretSizeBound() async throws {
        let inner = InMemoryTokenStore()
        let store = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        let largest = String(repeating: "s", count: 1 << 20)
        try await store.saveAccessToken(SealingFixtures.accessToken(userID: "largest", secret: largest))
        #expect(try await store.accessToken(provider: "twitter", userID: "largest")?.secret == largest)

        let error = await #expect(throws: TokenStoreError.self) {
            try await store.saveAccessToken(SealingFixtures.accessToken(userID: "over", secret: largest + "é"))
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("1048578 bytes") == true, "\(String(describing: error))")
        #expect(error?.message.contains(largest.prefix(64)) == false, "no secret in the message")
        #expect(try await inner.accessToken(provider: "twitter", userID: "over") == nil)

        let raw = try #require(try await inner.accessToken(provider: "twitter", userID: "largest")).secret
        try await inner.saveAccessToken(SealingFixtures.accessToken(userID: "largest", secret: raw + "AAAA"))
        let opened = await #expect(throws: TokenStoreError.self) {
            _ = try await store.accessToken(provider: "twitter", userID: "largest")
        }
        #expect(opened?.code == .sealing)
        #expect(opened?.message.contains("malformed") == true, "refused by its length, not by decryption: \(String(describing: opened))")
    }

    /// Plain secrets are refused by default; with `allowPlaintext` they are returned and counted.
    @Test func plaintextPolicy() async throws {
        let inner = InMemoryTokenStore()
        try await inner.saveAccessToken(SealingFixtures.accessToken(secret: "legacy-plain"))
        let strict = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        await expectSealingError(naming: "twitter/u1") {
            _ = try await strict.accessToken(provider: "twitter", userID: "u1")
        }
        #expect(strict.plaintextReads == 0)

        let lenient = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"), allowPlaintext: true)
        #expect(try await lenient.accessToken(provider: "twitter", userID: "u1")?.secret == "legacy-plain")
        #expect(lenient.plaintextReads == 1)
        // Re-saving through the sealed store seals it.
        let token = try #require(try await lenient.accessToken(provider: "twitter", userID: "u1"))
        try await lenient.saveAccessToken(token)
        #expect(try #require(try await inner.accessToken(provider: "twitter", userID: "u1")).secret.hasPrefix("tsv1:k1:"))
        #expect(try await strict.accessToken(provider: "twitter", userID: "u1")?.secret == "legacy-plain")
    }

    /// Empty and large non-ASCII secrets round-trip.
    @Test func unusualSecretsRoundTrip() async throws {
        let store = SealedTokenStore(wrapping: InMemoryTokenStore(), keys: try SealingFixtures.ring("k1"))
        for (index, secret) in ["", "é\u{0}🙂", String(repeating: "x", count: 100_000)].enumerated() {
            try await store.saveAccessToken(SealingFixtures.accessToken(userID: "u\(index)", secret: secret))
            #expect(try await store.accessToken(provider: "twitter", userID: "u\(index)")?.secret == secret)
        }
    }

    /// Secrets of every length mod 3 round-trip (the payload's base64url tail cases), and
    /// the payload is unpadded base64url.
    @Test func everyPayloadLengthRoundTrips() async throws {
        let inner = InMemoryTokenStore()
        let store = SealedTokenStore(wrapping: inner, keys: try SealingFixtures.ring("k1"))
        for length in 0..<40 {
            let secret = String(repeating: "s", count: length)
            try await store.saveAccessToken(SealingFixtures.accessToken(userID: "u\(length)", secret: secret))
            let raw = try #require(try await inner.accessToken(provider: "twitter", userID: "u\(length)")).secret
            let payload = raw.dropFirst("tsv1:k1:".count)
            #expect(payload.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            #expect(payload.count == ((12 + length + 16) * 4 + 2) / 3)
            #expect(try await store.accessToken(provider: "twitter", userID: "u\(length)")?.secret == secret)
        }
    }

    /// Keys in standard base64 and base64url, padded or not, decode alike; non-canonical
    /// spellings are refused.
    @Test func keyBase64Spellings() throws {
        let material = (0..<32).map { UInt8(255 - $0) }
        let standard = Data(material).base64EncodedString()
        let url = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        for spelling in [standard, url, String(standard.dropLast()), String(url.dropLast())] {
            #expect(try SealingKey(id: "k", base64: spelling) == SealingKey(id: "k", material: material))
        }
        for bad in [standard + "=", "=" + standard, String(standard.dropLast(2)) + "B=", standard + "A"] {
            #expect(throws: SealingKeyError.self) { _ = try SealingKey(id: "k", base64: bad) }
        }
    }
}
