import Foundation
import TokenStoreKit

extension FileTokenStore {
    /// The schema version this code writes and reads.
    public static let currentSchemaVersion = 1

    static let versionFileName = "schema-version"

    /// The schema version of the directory, read when the store was opened (1).
    public func schemaVersion() async throws -> Int {
        if closed { throw closedError("schemaVersion") }
        return Self.currentSchemaVersion
    }

    /// Checks the directory's `schema-version` file, writing it for a new store.
    static func checkVersion(_ path: String, store: String) throws {
        let file = path + "/" + versionFileName
        guard let bytes = try FileSystem.readFile(file) else {
            try FileSystem.writeAtomically(Array("\(currentSchemaVersion)\n".utf8), to: file, directory: path)
            try FileSystem.syncDirectory(path)
            return
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let version = Int(text), version >= 1 else {
            throw TokenStoreError(
                .corruptedRecord, store: store, operation: "open",
                message: "the schema version file does not hold a version number", record: file)
        }
        if version > currentSchemaVersion {
            throw TokenStoreError(
                .schemaTooNew, store: store, operation: "open",
                message: "the directory has schema version \(version), this code knows up to \(currentSchemaVersion); "
                    + "upgrade the library", record: file)
        }
    }
}
