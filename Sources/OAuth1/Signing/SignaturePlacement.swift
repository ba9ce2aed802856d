/// Where the signed protocol parameters travel (RFC 5849 section 3.5).
public enum SignaturePlacement: Sendable, Hashable {
    /// The `Authorization: OAuth ...` header (section 3.5.1). The default and the safest.
    case authorizationHeader
    /// Appended to the URL query (section 3.5.3).
    case queryString
    /// Appended to an `application/x-www-form-urlencoded` body (section 3.5.2); the body
    /// must be absent or already form-encoded.
    case formBody
}
