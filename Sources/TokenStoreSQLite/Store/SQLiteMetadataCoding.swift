import Foundation

/// Metadata columns: a JSON object of strings with sorted keys (stable bytes for the same
/// dictionary, readable by SQLite's JSON functions), or NULL for an empty dictionary so
/// the common case costs nothing.
enum SQLiteMetadataCoding {
    static func encode(_ metadata: [String: String]) throws -> String? {
        guard !metadata.isEmpty else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(metadata), as: UTF8.self)
    }

    /// Decodes a metadata column; `nil` text is an empty dictionary.
    static func decode(_ text: String?, column: StaticString) throws(SQLiteColumnError) -> [String: String] {
        guard let text, !text.isEmpty else { return [:] }
        do {
            return try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        } catch {
            throw SQLiteColumnError(problem: "\(column) is not a JSON object of strings")
        }
    }
}
