/// The identity of an access token: the provider and the user's id there.
///
/// Keys order by the UTF-8 bytes of ``provider``, then of ``userID``. Drivers list in this
/// order (SQLite's BINARY collation, PostgreSQL's `COLLATE "C"`, Redis `ZRANGEBYLEX`), so a
/// key works as a keyset cursor in every store.
public struct AccessTokenKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The provider's identifier chosen by the app, e.g. `twitter`.
    public var provider: String
    /// The user's id at the provider, e.g. Twitter's numeric `user_id`.
    public var userID: String

    /// Creates a key.
    public init(provider: String, userID: String) {
        self.provider = provider
        self.userID = userID
    }

    public static func < (lhs: AccessTokenKey, rhs: AccessTokenKey) -> Bool {
        if lhs.provider != rhs.provider {
            return lhs.provider.utf8.lexicographicallyPrecedes(rhs.provider.utf8)
        }
        return lhs.userID.utf8.lexicographicallyPrecedes(rhs.userID.utf8)
    }

    public var description: String { "\(provider)/\(userID)" }
}
