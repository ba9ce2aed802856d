import Foundation

/// Removes passwords from store URLs before they appear in messages and logs.
public enum StoreURLRedaction {
    /// `url` with the password of its user-info part (`user:password@`) and the values of
    /// `password`-like query parameters replaced by `***`.
    ///
    /// `postgres://app:s3cret@db/tokens?password=x` becomes `postgres://app:***@db/tokens?password=***`.
    public static func redact(_ url: String) -> String {
        var text = url
        if let schemeEnd = text.range(of: "://") {
            let authorityStart = schemeEnd.upperBound
            let authorityEnd = text[authorityStart...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? text.endIndex
            let authority = text[authorityStart..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                let redactedUserInfo: String
                if let colon = userInfo.firstIndex(of: ":") {
                    redactedUserInfo = String(userInfo[..<colon]) + ":***"
                } else if text.hasPrefix("redis") {
                    // redis://password@host: a lone user-info part is the password.
                    redactedUserInfo = "***"
                } else {
                    redactedUserInfo = String(userInfo)
                }
                text.replaceSubrange(authorityStart..<at, with: redactedUserInfo)
            }
        }
        guard let query = text.firstIndex(of: "?") else { return text }
        let head = text[..<query]
        let pairs = text[text.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            // Drivers decode names (`pass%77ord` is `password` to libpq): judge the decoded one.
            let lowered = (name.removingPercentEncoding ?? name).lowercased()
            if lowered.contains("password") || lowered.contains("secret") || lowered == "key" || lowered.hasSuffix("key") {
                return name + "=***"
            }
            return String(pair)
        }
        return head + "?" + pairs.joined(separator: "&")
    }
}
