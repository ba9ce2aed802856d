import Foundation
import OAuth1
import OAuth2
import TokenStoreFlow

/// Who signed in, asked of the provider's user-info endpoint with the new token: the id
/// from `data.id` (X), `id` (GitHub) or `sub` (OpenID Connect), the display name from
/// `data.username`, `login`, `name` or `email`.
enum OAuth2UserInfo {
    static func identify(
        _ response: OAuth2TokenResponse, client: OAuth2Client, url: URL
    ) async throws -> OAuth2UserIdentity {
        let answer = try await client.send(OAuth1HTTPRequest(url: url), accessToken: response.accessToken)
        guard answer.status == 200 else {
            throw CLIFailure(
                "the user-info endpoint \(url.absoluteString) answered HTTP \(answer.status); the token set was not "
                    + "stored (check --user-info-url and the granted scopes)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any] else {
            throw CLIFailure("the user-info endpoint \(url.absoluteString) did not answer a JSON object")
        }
        let fields = (object["data"] as? [String: Any]) ?? object
        guard let userID = text(fields["id"]) ?? text(fields["sub"]), !userID.isEmpty else {
            throw CLIFailure(
                "the user-info answer of \(url.absoluteString) has no id, data.id or sub; the token set was not stored")
        }
        let name = text(fields["username"]) ?? text(fields["login"]) ?? text(fields["name"]) ?? text(fields["email"])
        return OAuth2UserIdentity(userID: userID, screenName: name)
    }

    /// A JSON string or integer as text (GitHub's ids are numbers).
    private static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: return string
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }
}
