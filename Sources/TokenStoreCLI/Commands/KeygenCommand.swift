import ArgumentParser
import Foundation
import TokenStoreKit
import TokenStoreSealing

/// `tokenstore keygen`: prints a new random AES-256 sealing key as a key-file line.
///
/// The output, `id base64key`, is the one place the tool prints key material, because the
/// user asks for it: append it to a key file (mode 0600) as the first line to make it the
/// primary, or use `id:base64key` in `TOKENSTORE_SEALING_KEYS`.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a new random sealing key line: 'id base64key'.",
        discussion: """
            The key is 32 random bytes from OpenSSL. Put the line first in a key file (chmod 600) \
            to make it the primary key, and keep older keys below it until `rekey` has re-sealed \
            their records. The id defaults to 'k' and the UTC time, e.g. k20261125T081500.
            """)

    @Option(help: "The key id: 1-64 characters of A-Z a-z 0-9 . _ - (default: k + UTC time).")
    var id: String?

    init() {}

    func run() throws {
        print(try line(now: Date()))
    }

    /// The key line for a new key, its default id from `now`.
    ///
    /// - Throws: ``CLIFailure`` for an invalid `--id` or a failing random generator.
    func line(now: Date) throws -> String {
        do {
            return try SealingKey.generate(id: id ?? Self.defaultID(now: now)).keyFileLine
        } catch let error as SealingKeyError {
            throw CLIFailure("keygen: \(error)")
        }
    }

    /// `k` followed by `now` as `yyyyMMdd'T'HHmmss` in UTC.
    static func defaultID(now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        return "k" + formatter.string(from: now)
    }
}
