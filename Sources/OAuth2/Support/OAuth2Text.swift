/// Makes text that came from a provider safe to keep in an error and print.
enum OAuth2Text {
    /// The most of a text read: a token response body is at most this long anyway.
    static let maximumScannedLength = 1 << 20

    /// `text` without control characters (C0, DEL, C1, and the Unicode line and paragraph
    /// separators and bidirectional overrides that can forge or reorder a log line), with
    /// every occurrence of each of `secrets` replaced by `<redacted>`, cut to
    /// `maximumLength` characters (an ellipsis marks the cut); `nil` when nothing is left.
    ///
    /// Secrets are replaced before the text is cut to length, never after: a cut first could
    /// split a long secret (a JWT access token) and leave its first part unrecognized.
    static func sanitized(
        _ text: String, redacting secrets: [String] = [], maximumLength: Int = OAuth2Error.maximumProviderTextLength
    ) -> String? {
        var scalars = String.UnicodeScalarView()
        var count = 0
        var cut = false
        for scalar in text.unicodeScalars {
            if count >= maximumScannedLength {
                cut = true
                break
            }
            if isUnsafe(scalar) {
                if scalars.last != " " { scalars.append(" ") }
            } else {
                scalars.append(scalar)
            }
            count += 1
        }
        var result = String(scalars)
        for secret in secrets where secret.utf8.count >= 4 {
            result = result.replacing(secret, with: "<redacted>")
        }
        result = String(result.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if result.count > maximumLength {
            result = String(result.prefix(maximumLength))
            cut = true
        }
        guard !result.isEmpty else { return nil }
        return cut ? result + "…" : result
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x2028, 0x2029: return true  // line and paragraph separators
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidi controls
        default: return false
        }
    }

    /// Whether every byte of `text` is a visible ASCII character (`%x21-7E`): what a token
    /// must be to travel in an HTTP header without splitting or injecting one.
    static func isVisibleASCII(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// Whether every byte of `text` is `%x20-7E` (RFC 6749 appendix A's VSCHAR).
    static func isVSCHAR(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }
}
