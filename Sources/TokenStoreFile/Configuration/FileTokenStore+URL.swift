import Foundation
import TokenStoreKit

extension FileTokenStore.Configuration {
    /// A configuration from a `file:` URL: `file:///absolute/dir`,
    /// `file://localhost/absolute/dir` or `file:/absolute/dir`, percent-encoded as usual
    /// (`%20` for a space), with the clock, logger and `createIfMissing` of `options`.
    ///
    /// - Throws: `TokenStoreError` with `misconfigured` naming the URL (see
    ///   ``FileTokenStore/directory(fromURL:)``).
    public init(url: String, options: TokenStoreOptions = TokenStoreOptions()) throws {
        self.init(directory: try FileTokenStore.directory(fromURL: url), clock: options.clock, logger: options.logger)
        createIfMissing = options.createIfMissing
    }
}

extension FileTokenStore {
    /// The local directory a `file:` URL names.
    ///
    /// - Throws: `TokenStoreError.Code.misconfigured` naming the URL for another host,
    ///   a relative or empty path, a query or fragment, or bad percent-encoding.
    public static func directory(fromURL url: String) throws -> String {
        func misconfigured(_ message: String) -> TokenStoreError {
            TokenStoreError(
                .misconfigured, store: StoreURLRedaction.redact(url), operation: "open",
                message: message + "; expected file:///absolute/path/to/directory")
        }
        guard url.count > 5, url.prefix(5).lowercased() == "file:" else {
            throw misconfigured("'\(url)' is not a file: URL")
        }
        var rest = Substring(url.dropFirst(5))
        if rest.contains("?") || rest.contains("#") {
            throw misconfigured("'\(url)' has a query or fragment, which file URLs do not take")
        }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let host = rest[..<slash].lowercased()
            guard host.isEmpty || host == "localhost" else {
                throw misconfigured("'\(url)' names the host '\(host)'; the file store opens local directories only")
            }
            rest = rest[slash...]
        }
        guard !rest.isEmpty else { throw misconfigured("'\(url)' has no path") }
        guard rest.hasPrefix("/") else {
            throw misconfigured("'\(url)' has a relative path; a store directory must be absolute")
        }
        guard let path = String(rest).removingPercentEncoding else {
            throw misconfigured("'\(url)' has malformed percent-encoding")
        }
        guard !path.contains("\0") else { throw misconfigured("'\(url)' encodes a NUL byte") }
        guard path.contains(where: { $0 != "/" }) else {
            throw misconfigured("'\(url)' names the root directory")
        }
        return path
    }
}
