import TokenStoreKit

extension FileTokenStore {
    /// The driver for `file:` URLs (see ``Configuration/init(url:options:)`` for the forms);
    /// register it with `TokenStoreRegistry.shared.register(FileTokenStore.driver)`.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(schemes: ["file"], summary: "a directory of files, one per token (file:///path/dir)") { url, options in
            try await FileTokenStore(url: url, options: options)
        }
    }
}
