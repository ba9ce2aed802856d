import OAuth1

/// Puts the client's credentials on a token or revocation request.
enum OAuth2ClientAuthentication {
    /// The `Authorization: Basic` value for `id` and `secret`: each is form-urlencoded
    /// (RFC 6749 section 2.3.1 and appendix B) before they are joined with `:` and
    /// base64-encoded, so a `:` or `%` in either survives the trip.
    static func basicAuthorization(id: String, secret: String) -> String {
        "Basic " + OAuth1Base64.encode(Array((formURLEncode(id) + ":" + formURLEncode(secret)).utf8))
    }

    /// The `application/x-www-form-urlencoded` encoding of RFC 6749 appendix B: unreserved
    /// characters as themselves, a space as `+`, every other UTF-8 byte as `%XX`.
    static func formURLEncode(_ text: String) -> String {
        // `encode` writes only unreserved characters and `%XX`, so `%20` is always a space.
        OAuth1PercentEncoding.encode(text).replacing("%20", with: "+")
    }

    /// The form fields and header the credentials add to a request.
    ///
    /// - Throws: ``OAuth2Error/Code/invalidInput`` when the method needs a secret and the
    ///   credentials have none.
    static func apply(
        _ credentials: OAuth2ClientCredentials, to form: inout [OAuth1Parameter], headers: inout OAuth1HTTPHeaders
    ) throws(OAuth2Error) {
        switch credentials.authenticationMethod {
        case .none:
            form.append(OAuth1Parameter(name: "client_id", value: credentials.id))
        case .clientSecretBasic:
            headers.setHeader("Authorization", basicAuthorization(id: credentials.id, secret: try secret(of: credentials)))
        case .clientSecretPost:
            form.append(OAuth1Parameter(name: "client_id", value: credentials.id))
            form.append(OAuth1Parameter(name: "client_secret", value: try secret(of: credentials)))
        }
    }

    private static func secret(of credentials: OAuth2ClientCredentials) throws(OAuth2Error) -> String {
        guard let secret = credentials.secret else {
            throw OAuth2Error(
                .invalidInput,
                message: "client \(credentials.id) uses \(credentials.authenticationMethod.rawValue) but has no client secret")
        }
        return secret
    }
}
