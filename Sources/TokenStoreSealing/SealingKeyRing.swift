import Foundation
import Glibc
import TokenStoreKit

/// The keys a ``SealedTokenStore`` may use: one primary that seals every write, and older
/// keys that still open what they sealed.
///
/// Two sources, both listing the primary first:
///
/// - The environment variable `TOKENSTORE_SEALING_KEYS`: comma-separated `id:base64key`
///   entries, e.g. `k2:3q2+7w...=,k1:AAEC...=`.
/// - A key file: one `id base64key` per line (separated by spaces or a tab), `#` starts a
///   comment line, blank lines are ignored; the first key line is the primary. The file
///   must be a regular file with mode 0600 or 0400 (no group/other bits), else it is
///   refused.
///
/// Keys are 32 bytes (AES-256), base64 or base64url. Ids are 1-64 characters of
/// `A-Z a-z 0-9 . _ -` and unique. ``description`` lists ids only, never key material.
public struct SealingKeyRing: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The environment variable ``fromEnvironment(_:)`` reads.
    public static let environmentVariable = "TOKENSTORE_SEALING_KEYS"

    /// The key that seals new writes.
    public let primary: SealingKey
    /// Every key, primary first.
    public let keys: [SealingKey]
    private let byID: [String: SealingKey]

    /// Creates a ring from `keys`, the first being the primary.
    ///
    /// - Throws: ``SealingKeyError`` when `keys` is empty or two keys share an id.
    public init(keys: [SealingKey]) throws {
        guard let first = keys.first else {
            throw SealingKeyError(.emptyKeyRing, "at least one sealing key is needed")
        }
        var byID: [String: SealingKey] = [:]
        for key in keys {
            guard byID[key.id] == nil else {
                throw SealingKeyError(.duplicateKeyID, "key id '\(key.id)' appears twice")
            }
            byID[key.id] = key
        }
        self.primary = first
        self.keys = keys
        self.byID = byID
    }

    /// The key with `id`, or `nil`.
    public func key(id: String) -> SealingKey? { byID[id] }

    /// Parses the environment variable format, `id:base64key[,id:base64key...]`.
    ///
    /// - Throws: ``SealingKeyError`` naming the entry (by position and id) at fault.
    public static func parse(environmentValue value: String) throws -> SealingKeyRing {
        var keys: [SealingKey] = []
        for (index, rawEntry) in value.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let entry = rawEntry.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            guard let colon = entry.firstIndex(of: ":") else {
                throw SealingKeyError(
                    .malformedEntry, "\(environmentVariable) entry \(index + 1) is not 'id:base64key'")
            }
            let id = String(entry[..<colon])
            let material = String(entry[entry.index(after: colon)...])
            keys.append(try SealingKey(id: id, base64: material))
        }
        return try SealingKeyRing(keys: keys)
    }

    /// The ring in `TOKENSTORE_SEALING_KEYS` of `environment`, or `nil` when it is unset or
    /// blank.
    ///
    /// - Throws: ``SealingKeyError`` when the value is malformed.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> SealingKeyRing? {
        guard let value = environment[environmentVariable],
              !value.trimmingCharacters(in: .whitespaces).isEmpty
        else { return nil }
        return try parse(environmentValue: value)
    }

    /// Parses the key file format (see the type's documentation).
    ///
    /// - Parameters:
    ///   - contents: the text of a key file.
    ///   - source: names the file in messages.
    /// - Throws: ``SealingKeyError`` naming the line at fault.
    public static func parse(keyFileContents contents: String, source: String = "key file") throws -> SealingKeyRing {
        var keys: [SealingKey] = []
        for (index, rawLine) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2 else {
                throw SealingKeyError(.malformedEntry, "\(source) line \(index + 1) is not 'id base64key'")
            }
            do {
                keys.append(try SealingKey(id: String(fields[0]), base64: String(fields[1])))
            } catch var error as SealingKeyError {
                error.message = "\(source) line \(index + 1): " + error.message
                throw error
            }
        }
        do {
            return try SealingKeyRing(keys: keys)
        } catch var error as SealingKeyError {
            error.message = "\(source): " + error.message
            throw error
        }
    }

    /// Reads a key file, refusing it unless it is a regular file with mode 0600 or 0400.
    ///
    /// - Throws: ``SealingKeyError`` with ``SealingKeyError/Code/unreadableFile``,
    ///   ``SealingKeyError/Code/insecurePermissions`` or a format error.
    public static func load(keyFile path: String) throws -> SealingKeyRing {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            throw SealingKeyError(.unreadableFile, "cannot stat key file \(path): \(reason)")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SealingKeyError(.unreadableFile, "key file \(path) is not a regular file")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw SealingKeyError(
                .insecurePermissions,
                "key file \(path) has mode \(String(mode, radix: 8)); others may read it. Run: chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SealingKeyError(.unreadableFile, "cannot read key file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SealingKeyError(.malformedEntry, "key file \(path) is not UTF-8 text")
        }
        return try parse(keyFileContents: text, source: "key file \(path)")
    }

    public var description: String {
        "SealingKeyRing(primary: \(primary.id), keys: [\(keys.map(\.id).joined(separator: ", "))])"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["primary": primary.id, "keys": keys.map(\.id)]) }
}
