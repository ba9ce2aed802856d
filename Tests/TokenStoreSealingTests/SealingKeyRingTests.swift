import Foundation
import Glibc
import Testing
import TokenStoreKit
import TokenStoreSealing

/// Key formats, key file permissions, and that no key material or secret is ever shown.
@Suite("SealingKeyRing", .inProcessTimeLimit)
struct SealingKeyRingTests {
    static let materialA = [UInt8](repeating: 0xA5, count: 32)
    static let materialB = (0..<32).map { UInt8($0) }
    static var base64A: String { Data(materialA).base64EncodedString() }
    static var base64B: String { Data(materialB).base64EncodedString() }

    func expectKeyError(_ code: SealingKeyError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(code)", sourceLocation: sourceLocation)
        } catch let error as SealingKeyError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(!error.description.contains(Self.base64A) && !error.description.contains(Self.base64B),
                    sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func environmentFormatFirstIsPrimary() throws {
        let ring = try SealingKeyRing.parse(environmentValue: "k2:\(Self.base64B), k1:\(Self.base64A)")
        #expect(ring.primary.id == "k2")
        #expect(ring.keys.map(\.id) == ["k2", "k1"])
        #expect(ring.key(id: "k1") != nil && ring.key(id: "k3") == nil)
        #expect(try SealingKeyRing.fromEnvironment([:]) == nil)
        #expect(try SealingKeyRing.fromEnvironment([SealingKeyRing.environmentVariable: "  "]) == nil)
        let fromEnvironment = try #require(
            try SealingKeyRing.fromEnvironment([SealingKeyRing.environmentVariable: "k1:\(Self.base64A)"]))
        #expect(fromEnvironment.primary.id == "k1")
    }

    @Test func base64urlUnpaddedKeysAccepted() throws {
        let url = Self.base64B.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let ring = try SealingKeyRing.parse(environmentValue: "k:\(url)")
        #expect(ring.primary == (try SealingKey(id: "k", material: Self.materialB)))
    }

    @Test func environmentFormatErrors() {
        expectKeyError(.emptyKeyRing) { _ = try SealingKeyRing.parse(environmentValue: ",") }
        expectKeyError(.malformedEntry) { _ = try SealingKeyRing.parse(environmentValue: Self.base64A) }
        expectKeyError(.invalidBase64) { _ = try SealingKeyRing.parse(environmentValue: "k1:not*base64") }
        expectKeyError(.wrongKeyLength) {
            _ = try SealingKeyRing.parse(environmentValue: "k1:\(Data(repeating: 1, count: 16).base64EncodedString())")
        }
        expectKeyError(.duplicateKeyID) {
            _ = try SealingKeyRing.parse(environmentValue: "k1:\(Self.base64A),k1:\(Self.base64B)")
        }
        expectKeyError(.invalidKeyID) { _ = try SealingKeyRing.parse(environmentValue: ":\(Self.base64A)") }
        expectKeyError(.invalidKeyID) { _ = try SealingKeyRing.parse(environmentValue: "a b:\(Self.base64A)") }
        expectKeyError(.invalidKeyID) { _ = try SealingKey(id: String(repeating: "k", count: 65), material: Self.materialA) }
    }

    @Test func keyFileFormat() throws {
        let ring = try SealingKeyRing.parse(keyFileContents: """
            # rotated 2026-11
            k2 \(Self.base64B)

            k1\t\(Self.base64A)
            """)
        #expect(ring.primary.id == "k2")
        #expect(ring.keys.map(\.id) == ["k2", "k1"])
    }

    @Test func keyFileFormatErrorsNameTheLine() {
        do {
            _ = try SealingKeyRing.parse(keyFileContents: "# c\nk1 \(Self.base64A)\nk2 \(Self.base64A) extra\n")
            Issue.record("expected an error")
        } catch let error as SealingKeyError {
            #expect(error.code == .malformedEntry)
            #expect(error.message.contains("line 3"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        expectKeyError(.emptyKeyRing) { _ = try SealingKeyRing.parse(keyFileContents: "# only comments\n\n") }
        expectKeyError(.wrongKeyLength) { _ = try SealingKeyRing.parse(keyFileContents: "k1 AAAA\n") }
        expectKeyError(.duplicateKeyID) {
            _ = try SealingKeyRing.parse(keyFileContents: "k1 \(Self.base64A)\nk1 \(Self.base64B)\n")
        }
    }

    @Test func keyFilePermissions() throws {
        let directory = StoreTestDirectory("keyfile")
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        defer { directory.remove() }
        let path = directory.path + "/keys"
        try Data("k1 \(Self.base64A)\n".utf8).write(to: URL(fileURLWithPath: path))

        for mode: mode_t in [0o644, 0o640, 0o604, 0o660, 0o666] {
            #expect(chmod(path, mode) == 0)
            do {
                _ = try SealingKeyRing.load(keyFile: path)
                Issue.record("mode \(String(mode, radix: 8)) accepted")
            } catch let error as SealingKeyError {
                #expect(error.code == .insecurePermissions)
                #expect(error.message.contains(path) && error.message.contains("chmod 600"))
            }
        }
        for mode: mode_t in [0o600, 0o400] {
            #expect(chmod(path, mode) == 0)
            #expect(try SealingKeyRing.load(keyFile: path).primary.id == "k1")
        }
        expectKeyError(.unreadableFile) { _ = try SealingKeyRing.load(keyFile: directory.path + "/missing") }
        expectKeyError(.unreadableFile) { _ = try SealingKeyRing.load(keyFile: directory.path) }
    }

    /// Keys and rings show ids only, in every rendering.
    @Test func keyMaterialNeverShown() throws {
        let key = try SealingKey(id: "k1", material: Self.materialA)
        let ring = try SealingKeyRing(keys: [key, SealingKey(id: "k0", material: Self.materialB)])
        var dumped = ""
        dump(ring, to: &dumped)
        dump(key, to: &dumped)
        let renderings = [
            String(describing: key), String(reflecting: key), String(describing: ring), String(reflecting: ring),
            "\(ring.keys)", dumped,
        ]
        let hex = Self.materialA.map { String(format: "%02x", $0) }.joined()
        for text in renderings {
            #expect(!text.contains(Self.base64A) && !text.contains(Self.base64B) && !text.contains(hex), "\(text)")
            #expect(!text.contains("165, 165"), "material as decimal bytes: \(text)")
        }
        #expect(String(describing: ring).contains("k1") && String(describing: ring).contains("k0"))
        #expect(key.keyFileLine == "k1 \(Self.base64A)")
    }

    /// Sealing errors, the sealed store's description and a log of its failures show no
    /// secret, no key material and no ciphertext payload.
    @Test func sealingErrorsShowNoSecret() async throws {
        let secret = "REDACT-ME-\(UUID())"
        let inner = InMemoryTokenStore()
        let key = try SealingKey(id: "k1", material: Self.materialA)
        let store = SealedTokenStore(wrapping: inner, keys: try SealingKeyRing(keys: [key]))
        try await store.saveAccessToken(
            AccessToken(provider: "p", userID: "u", token: "t", secret: secret, createdAt: Date()))
        let sealed = try #require(try await inner.accessToken(provider: "p", userID: "u")).secret
        let payload = String(sealed.dropFirst("tsv1:k1:".count))

        var texts = [store.displayName, String(describing: store), String(reflecting: store)]
        let impostor = SealedTokenStore(
            wrapping: inner, keys: try SealingKeyRing(keys: [SealingKey(id: "k1", material: Self.materialB)]))
        let unknown = SealedTokenStore(
            wrapping: inner, keys: try SealingKeyRing(keys: [SealingKey(id: "k9", material: Self.materialB)]))
        for candidate in [impostor, unknown] {
            do {
                _ = try await candidate.accessToken(provider: "p", userID: "u")
                Issue.record("expected a sealing error")
            } catch let error as TokenStoreError {
                #expect(error.code == .sealing)
                texts += [error.description, error.debugDescription, error.message, error.record ?? "", "\(error)"]
            }
        }
        #expect(texts.contains { $0.contains("p/u") })
        for text in texts {
            #expect(!text.contains(secret) && !text.contains(payload) && !text.contains(Self.base64A)
                        && !text.contains(Self.base64B), "\(text)")
        }
    }
}
