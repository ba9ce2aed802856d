// STUB: implemented by the store-kit work.
/// A store in one directory of files (`file:///path/dir`).
public final class FileTokenStore: Sendable {
    /// The driver for `file:` URLs.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(schemes: ["file"], summary: "a directory of files") { url, _ in
            throw TokenStoreError(.unsupported, store: url, operation: "open", message: "not implemented yet")
        }
    }
}
