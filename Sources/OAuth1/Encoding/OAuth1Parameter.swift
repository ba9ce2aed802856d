/// One decoded name/value pair of an OAuth request.
///
/// Requests carry parameters as an ordered `[OAuth1Parameter]`, never a dictionary:
/// RFC 5849 keeps repeated names (`a3=a&a3=2%20q`) and they all take part in the signature.
public struct OAuth1Parameter: Sendable, Hashable, CustomStringConvertible {
    /// The decoded name.
    public var name: String
    /// The decoded value; an absent value (`name` without `=`) is the empty string.
    public var value: String

    /// Creates a parameter from its decoded name and value.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Creates a parameter from its decoded name and value.
    public init(_ name: String, _ value: String) {
        self.init(name: name, value: value)
    }

    public var description: String { "\(name)=\(value)" }
}

extension [OAuth1Parameter] {
    /// The value of the first parameter named `name`, if any.
    public func first(named name: String) -> String? {
        first(where: { $0.name == name })?.value
    }
}
