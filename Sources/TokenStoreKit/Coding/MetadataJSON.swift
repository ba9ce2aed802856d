/// Token metadata as a JSON object of strings, the form the SQL drivers store it in.
///
/// Written by hand because it is on every read and write: a fresh `JSONDecoder` per row
/// (with its generic metadata lookups and boxing) cost more than the rest of an SQLite
/// point read, and `JSONSerialization` drops U+FEFF inside strings. The decoder accepts
/// any JSON text that is an object whose values are all strings (whitespace anywhere JSON
/// allows it, every escape, surrogate pairs), as PostgreSQL's `jsonb` prints it or an
/// older `JSONEncoder` wrote it, and refuses everything else; a repeated key keeps its
/// last value.
package enum MetadataJSON {
    /// `metadata` as a compact JSON object, keys sorted by their UTF-8 bytes (stable bytes
    /// for the same dictionary).
    package static func encode(_ metadata: [String: String]) -> String {
        guard !metadata.isEmpty else { return "{}" }
        var json: [UInt8] = [UInt8(ascii: "{")]
        for (index, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(key, to: &json)
            json.append(UInt8(ascii: ":"))
            JSONWriter.appendString(metadata[key] ?? "", to: &json)
        }
        json.append(UInt8(ascii: "}"))
        return String(decoding: json, as: UTF8.self)
    }

    /// The dictionary `json` holds, or `nil` when it is not a JSON object of strings.
    package static func decode(_ json: String) -> [String: String]? {
        var json = json
        return json.withUTF8 { bytes in
            var reader = JSONReader(bytes: bytes, validatesUTF8: false)
            guard let metadata = reader.stringObject(), reader.isAtEnd() else { return nil }
            return metadata
        }
    }
}
