import TokenStoreKit

/// Metadata columns: a JSON object of strings with sorted keys (``MetadataJSON``: stable
/// bytes for the same dictionary, readable by SQLite's JSON functions), or NULL for an
/// empty dictionary so the common case costs nothing.
enum SQLiteMetadataCoding {
    static func encode(_ metadata: [String: String]) -> String? {
        metadata.isEmpty ? nil : MetadataJSON.encode(metadata)
    }

    /// Decodes a metadata column; `nil` text is an empty dictionary.
    static func decode(_ text: String?, column: StaticString) throws(SQLiteColumnError) -> [String: String] {
        guard let text, !text.isEmpty else { return [:] }
        guard let metadata = MetadataJSON.decode(text) else {
            throw SQLiteColumnError(problem: "\(column) is not a JSON object of strings")
        }
        return metadata
    }
}
