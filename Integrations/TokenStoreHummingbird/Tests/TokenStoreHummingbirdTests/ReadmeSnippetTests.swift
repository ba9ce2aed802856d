import Foundation
import Hummingbird
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

@Suite("README", .inProcessTimeLimit)
struct ReadmeSnippetTests {
    @Test("the README's Hummingbird example is the code compiled in this file")
    func readmeShowsThisCode() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().appendingPathComponent("../../../..").standardizedFileURL
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        let start = try #require(source.range(of: "// BEGIN README\n"))
        let end = try #require(source.range(of: "// END README"))
        let body = source[start.upperBound..<end.lowerBound].split(separator: "\n").dropFirst().dropLast()
            .map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }.joined(separator: "\n")
        #expect(readme.contains("import Hummingbird\nimport TokenStoreHummingbird\n\n" + body + "\n```"))
    }
}
