import TokenStoreKit

/// The column types a token query must return, checked once per result (not per row) so a
/// table altered outside the migrations (say `secret` made `bytea`, whose text form is
/// hex) fails as a corrupted record instead of handing back the wrong value.
struct PostgresResultShape: Sendable {
    /// What a column holds, and the type OIDs whose text form decodes as that.
    enum Kind: Sendable {
        /// `text` or `varchar` (the same text out).
        case text
        /// `bigint`, or a narrower integer (the same digits out).
        case integer

        func accepts(_ oid: UInt32) -> Bool {
            switch self {
            case .text: oid == 25 || oid == 1043
            case .integer: oid == 20 || oid == 23 || oid == 21
            }
        }

        var expected: String {
            switch self {
            case .text: "text"
            case .integer: "bigint"
            }
        }
    }

    /// The result's columns in order: names as in the table, for the error message.
    let columns: [(name: String, kind: Kind)]

    static let requestToken = PostgresResultShape(columns: PostgresRecordCodec.requestColumns.map { ($0.name, $0.kind) })

    static let accessToken = PostgresResultShape(columns: PostgresRecordCodec.accessColumns.map { ($0.name, $0.kind) })

    static let tokenSet = PostgresResultShape(columns: PostgresRecordCodec.tokenSetColumns.map { ($0.name, $0.kind) })

    /// The first column of a result whose type this shape does not accept, if any.
    /// `columnType` is `PQftype`; a column count that differs is a mismatch at the first
    /// missing or extra column.
    func mismatch(columnCount: Int, columnType: (Int) -> UInt32) -> Mismatch? {
        for (index, column) in columns.enumerated() {
            guard index < columnCount else { return Mismatch(column: column.name, expected: column.kind.expected, found: nil) }
            let oid = columnType(index)
            if !column.kind.accepts(oid) { return Mismatch(column: column.name, expected: column.kind.expected, found: oid) }
        }
        if columnCount > columns.count { return Mismatch(column: "#\(columns.count + 1)", expected: "no column", found: columnType(columns.count)) }
        return nil
    }

    /// A result column whose type is not the one the migrations created.
    struct Mismatch: Sendable, Equatable {
        let column: String
        let expected: String
        /// The column's type OID; `nil` when the column is missing.
        let found: UInt32?

        /// Says what is wrong and what to do, for ``TokenStoreError/message``.
        var message: String {
            let actual = found.map { "\(Self.typeName($0)) (type OID \($0))" } ?? "missing"
            return "column \(column) is \(actual) but \(expected) was expected: the table was altered outside "
                + "swift-tokenstore's migrations; restore the column type the migrations created"
        }

        /// A few common types by name; others by OID only.
        static func typeName(_ oid: UInt32) -> String {
            switch oid {
            case 16: "boolean"
            case 17: "bytea"
            case 18: "char"
            case 19: "name"
            case 20: "bigint"
            case 21: "smallint"
            case 23: "integer"
            case 25: "text"
            case 114: "json"
            case 700: "real"
            case 701: "double precision"
            case 1042: "character"
            case 1043: "varchar"
            case 1082: "date"
            case 1114: "timestamp"
            case 1184: "timestamptz"
            case 1700: "numeric"
            case 2950: "uuid"
            case 3802: "jsonb"
            default: "another type"
            }
        }
    }
}
