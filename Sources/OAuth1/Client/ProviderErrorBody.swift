import Foundation

/// Finds the provider's own error text in an error response body: form
/// (`error=...`, `oauth_problem=...`), JSON (Twitter's `{"errors":[{"code":32,"message":"..."}]}`,
/// `{"error": "..."}`) or XML (`<error>...</error>`, `<hash><error>...</error></hash>`).
enum ProviderErrorBody {
    /// The provider's message, or `nil` when the body has none we recognize.
    static func message(in body: Data, contentType: String?) -> String? {
        guard let text = String(data: body, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        else { return nil }
        let type = contentType?.lowercased() ?? ""
        if type.contains("json") || text.hasPrefix("{") || text.hasPrefix("[") {
            if let message = json(text) { return message }
        }
        if type.contains("xml") || text.hasPrefix("<") {
            if let message = xml(text) { return message }
        }
        return form(text)
    }

    private static func json(_ text: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return nil }
        return jsonMessage(object)
    }

    private static func jsonMessage(_ object: Any) -> String? {
        if let dictionary = object as? [String: Any] {
            if let errors = dictionary["errors"] as? [Any] {
                let messages = errors.compactMap(jsonMessage)
                if !messages.isEmpty { return messages.joined(separator: "; ") }
            }
            let code = (dictionary["code"]).map { "\($0)" }
            for key in ["message", "error_description", "error", "detail", "title"] {
                if let value = dictionary[key] as? String, !value.isEmpty {
                    return code.map { "\(value) (code \($0))" } ?? value
                }
                if let nested = dictionary[key], let message = jsonMessage(nested) { return message }
            }
            return nil
        }
        if let array = object as? [Any] {
            let messages = array.compactMap(jsonMessage)
            return messages.isEmpty ? nil : messages.joined(separator: "; ")
        }
        if let string = object as? String, !string.isEmpty { return string }
        return nil
    }

    private static func xml(_ text: String) -> String? {
        for tag in ["error", "message", "oauth_problem"] {
            if let value = element(tag, in: text) { return value }
        }
        return nil
    }

    /// The text of the first `<tag ...>text</tag>`, with the five predefined entities decoded.
    ///
    /// `<error` must be followed by `>`, `/` or whitespace, so `<errors>` is not taken for
    /// `<error>` (Twitter's XML wraps `<error code="32">` elements in `<errors>`).
    private static func element(_ tag: String, in text: String) -> String? {
        var searchStart = text.startIndex
        while let open = text.range(of: "<\(tag)", options: .caseInsensitive, range: searchStart..<text.endIndex) {
            searchStart = open.upperBound
            guard let next = text[open.upperBound...].first, next == ">" || next == "/" || next.isWhitespace,
                let openEnd = text[open.upperBound...].firstIndex(of: ">"),
                !text[open.upperBound..<openEnd].contains("<")
            else { continue }
            if text[text.index(before: openEnd)] == "/" { continue }  // `<error/>`: empty
            guard
                let close = text.range(
                    of: "</\(tag)>", options: .caseInsensitive, range: text.index(after: openEnd)..<text.endIndex)
            else { return nil }
            let raw = text[text.index(after: openEnd)..<close.lowerBound]
            let value = raw.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
                .replacingOccurrences(of: "&amp;", with: "&").trimmingCharacters(in: .whitespacesAndNewlines)
            return value.isEmpty ? nil : value
        }
        return nil
    }

    private static func form(_ text: String) -> String? {
        guard text.contains("="), let parameters = try? OAuth1PercentEncoding.parseForm(text) else { return nil }
        let problem = parameters.first(named: "oauth_problem")
        let error = parameters.first(named: "error") ?? parameters.first(named: "error_description")
        let advice = parameters.first(named: "oauth_problem_advice")
        let parts = [error, problem.map { "oauth_problem=\($0)" }, advice].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
