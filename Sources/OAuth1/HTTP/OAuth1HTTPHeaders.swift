/// An ordered list of HTTP header fields with case-insensitive lookup.
///
/// Order and repeated names are kept as given. The ``description`` redacts the values of
/// `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie`: a PLAINTEXT
/// signature is the secrets themselves.
public struct OAuth1HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral,
    CustomStringConvertible, CustomDebugStringConvertible
{
    /// One header field.
    public struct Field: Sendable, Hashable {
        /// The field name as given.
        public var name: String
        /// The field value.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in order.
    public private(set) var fields: [Field]

    /// Creates headers from `(name, value)` pairs, in order.
    public init(_ pairs: [(name: String, value: String)] = []) {
        fields = pairs.map { Field(name: $0.name, value: $0.value) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    public func makeIterator() -> AnyIterator<(name: String, value: String)> {
        var inner = fields.makeIterator()
        return AnyIterator { inner.next().map { (name: $0.name, value: $0.value) } }
    }

    /// The number of fields.
    public var count: Int { fields.count }

    /// The value of the first field named `name` (case-insensitive), if any.
    public func header(named name: String) -> String? {
        fields.first(where: { Self.sameName($0.name, name) })?.value
    }

    /// The values of every field named `name` (case-insensitive), in order.
    public func values(named name: String) -> [String] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// The value of the first field named `name`; setting replaces every field of that
    /// name (`nil` removes them).
    public subscript(name: String) -> String? {
        get { header(named: name) }
        set {
            if let newValue { setHeader(name, newValue) } else { removeHeader(named: name) }
        }
    }

    /// Replaces every field named `name` with one field `name: value`, kept at the position
    /// of the first existing one (or appended).
    public mutating func setHeader(_ name: String, _ value: String) {
        if let index = fields.firstIndex(where: { Self.sameName($0.name, name) }) {
            fields[index] = Field(name: name, value: value)
            var next = index + 1
            while next < fields.count {
                if Self.sameName(fields[next].name, name) { fields.remove(at: next) } else { next += 1 }
            }
        } else {
            fields.append(Field(name: name, value: value))
        }
    }

    /// Appends a field, keeping existing fields of the same name.
    public mutating func addHeader(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Removes every field named `name`.
    public mutating func removeHeader(named name: String) {
        fields.removeAll(where: { Self.sameName($0.name, name) })
    }

    /// Header names are ASCII tokens: compare them ASCII-case-insensitively, byte by byte.
    static func sameName(_ a: String, _ b: String) -> Bool {
        asciiCaseInsensitiveEqual(a.utf8, b.utf8)
    }

    static func asciiCaseInsensitiveEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x != y {
            guard asciiLowercase(x) == asciiLowercase(y) else { return false }
        }
        return true
    }

    @inline(__always)
    static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    private static let sensitive: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie",
    ]

    public var description: String {
        let rendered = fields.map { field in
            Self.sensitive.contains(field.name.lowercased())
                ? "\(field.name): <redacted>" : "\(field.name): \(field.value)"
        }
        return "[" + rendered.joined(separator: ", ") + "]"
    }

    public var debugDescription: String { description }
}
