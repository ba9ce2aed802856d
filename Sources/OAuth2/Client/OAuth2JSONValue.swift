import Foundation

/// A JSON value as a token endpoint sent it, kept exact enough to tell an integer from a
/// fraction from a string from a boolean (`JSONSerialization` blurs them into `NSNumber`).
enum OAuth2JSONValue: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([OAuth2JSONValue])
    case object([String: OAuth2JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([OAuth2JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: OAuth2JSONValue].self))
        }
    }

    /// The top-level object of `data`, or `nil` when `data` is not a JSON object.
    static func object(from data: Data) -> [String: OAuth2JSONValue]? {
        guard case .object(let fields)? = try? JSONDecoder().decode(OAuth2JSONValue.self, from: data) else { return nil }
        return fields
    }

    /// The value as a string, when it is one.
    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value as text for a metadata dictionary: strings as they are, numbers and
    /// booleans as JSON writes them, arrays and objects as compact JSON; `nil` for `null`.
    var metadataText: String? {
        switch self {
        case .null: return nil
        case .bool(let value): return value ? "true" : "false"
        case .integer(let value): return String(value)
        case .number(let value): return "\(value)"
        case .string(let value): return value
        case .array, .object: return compactJSON
        }
    }

    private var compactJSON: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .integer(let value): return String(value)
        case .number(let value): return "\(value)"
        case .string(let value):
            let encoded = try? JSONEncoder().encode(value)
            return encoded.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        case .array(let values): return "[" + values.map(\.compactJSON).joined(separator: ",") + "]"
        case .object(let fields):
            return "{"
                + fields.keys.sorted().map { key in
                    OAuth2JSONValue.string(key).compactJSON + ":" + (fields[key]?.compactJSON ?? "null")
                }.joined(separator: ",") + "}"
        }
    }
}
