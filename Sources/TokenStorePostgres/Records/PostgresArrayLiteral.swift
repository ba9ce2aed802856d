/// Encodes a column of values as a PostgreSQL array literal (`{"a","b",NULL}`), the text
/// form of one `text[]` or `bigint[]` parameter of the bulk statements.
///
/// Every element is double-quoted, with `\` and `"` escaped by a backslash, so commas,
/// braces, whitespace, the word NULL and any Unicode keep their exact value; `nil` is the
/// unquoted `NULL`. Values never hold NUL (refused before encoding).
enum PostgresArrayLiteral {
    static func encode(_ values: some Collection<String?>) -> String {
        var literal = "{"
        literal.reserveCapacity(values.count * 16)
        var first = true
        for value in values {
            if !first { literal.append(",") }
            first = false
            guard let value else {
                literal.append("NULL")
                continue
            }
            literal.append("\"")
            if value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") }) {
                for character in value.unicodeScalars {
                    if character == "\\" || character == "\"" { literal.unicodeScalars.append("\\") }
                    literal.unicodeScalars.append(character)
                }
            } else {
                literal.append(value)
            }
            literal.append("\"")
        }
        literal.append("}")
        return literal
    }

    /// The rows' columns as array literals: parameter `i` holds column `i` of every row.
    static func columns(_ rows: [[String?]], width: Int) -> [String?] {
        (0..<width).map { column in encode(rows.lazy.map { $0[column] }) }
    }
}
