import Foundation
import Hummingbird
import OAuth2
import Testing
import TokenStoreHummingbird
import TokenStoreFlow
import TokenStoreKit

// The README's Hummingbird example, compiled here; the test below keeps the two identical.
// BEGIN README
func readmeExample(flow: AuthorizationFlow, router: Router<BasicRequestContext>) {
    let signIn = AuthorizationRoutes<BasicRequestContext>(flow: flow) { signedIn, request, context in
        // signedIn.key is (provider, user id): keep it in your own session, then send the user on.
        .redirect(to: signedIn.completion.returnTo ?? "/")
    }
    signIn.addRoutes(to: router.group("auth"))  // GET /auth/twitter (302 to the provider), GET /auth/twitter/callback
}
// END README

// The README's OAuth 2.0 routes example, compiled here and kept identical by the same test.
// BEGIN README OAUTH2
func readmeOAuth2Example(
    oauth2Flow: OAuth2AuthorizationFlow, router: Router<BasicRequestContext>,
    gitHubUser: @escaping @Sendable (String) async throws -> OAuth2UserIdentity
) {
    let github = OAuth2AuthorizationRoutes<BasicRequestContext>(flow: oauth2Flow, scopes: ["read:user"]) { tokens in
        try await gitHubUser(tokens.accessToken)  // an OAuth2UserIdentity
    } signedIn: { signedIn, request, context in
        .redirect(to: signedIn.completion.returnTo ?? "/")
    }
    github.addRoutes(to: router.group("auth"))  // GET /auth/github, GET /auth/github/callback
}
// END README OAUTH2

@Suite("README", .inProcessTimeLimit)
struct ReadmeSnippetTests {
    @Test("the README's Hummingbird examples are the code compiled in this file")
    func readmeShowsThisCode() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().appendingPathComponent("../../../..").standardizedFileURL
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        func body(_ marker: String, header: Int) throws -> String {
            let start = try #require(source.range(of: "// BEGIN \(marker)\n"))
            let end = try #require(source.range(of: "// END \(marker)\n"))
            return source[start.upperBound..<end.lowerBound].split(separator: "\n").dropFirst(header).dropLast()
                .map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }.joined(separator: "\n")
        }
        #expect(readme.contains("import Hummingbird\nimport TokenStoreHummingbird\n\n" + (try body("README", header: 1)) + "\n```"))
        #expect(readme.contains("```swift\n" + (try body("README OAUTH2", header: 4)) + "\n```"))
    }
}
