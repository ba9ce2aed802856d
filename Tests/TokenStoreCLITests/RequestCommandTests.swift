import ArgumentParser
import Foundation
import OAuth1
import Testing

@testable import TokenStoreCLI

@Suite(.inProcessTimeLimit) struct RequestCommandParsingTests {
    static func parse(_ arguments: [String]) throws -> RequestCommand {
        try #require(try TokenStoreCommand.parseAsRoot(["request"] + arguments) as? RequestCommand)
    }

    @Test func getByDefault() throws {
        let command = try Self.parse(["--provider", "twitter", "--user", "42", "https://api.example.com/1/me?x=1"])
        let request = try command.makeRequest()
        #expect(request.method == "GET")
        #expect(request.url.absoluteString == "https://api.example.com/1/me?x=1")
        #expect(request.body == nil)
        #expect(command.provider == "twitter" && command.user == "42")
    }

    @Test func formFieldsMakeAPostWithAFormBody() throws {
        let command = try Self.parse([
            "--provider", "twitter", "--user", "42", "-d", "status=hello world & more", "-d", "a=b=c",
            "https://api.example.com/1/update",
        ])
        let request = try command.makeRequest()
        #expect(request.method == "POST")
        #expect(request.hasFormBody)
        let body = String(decoding: try #require(request.body), as: UTF8.self)
        #expect(
            try OAuth1PercentEncoding.parseForm(body) == [
                OAuth1Parameter("status", "hello world & more"), OAuth1Parameter("a", "b=c"),
            ])
    }

    @Test func explicitMethodWins() throws {
        let command = try Self.parse([
            "--provider", "p", "--user", "u", "-X", "delete", "-d", "id=1", "https://e.com/x",
        ])
        #expect(try command.makeRequest().method == "DELETE")
    }

    @Test(arguments: [
        ["--provider", "p", "--user", "u", "not a url"],
        ["--provider", "p", "--user", "u", "ftp://e.com/x"],
        ["--provider", "p", "--user", "u", "-d", "novalue", "https://e.com/x"],
        ["--provider", "p", "--user", "u", "-d", "=v", "https://e.com/x"],
        ["--provider", "p", "--user", "u", "-X", "GE T", "https://e.com/x"],
    ])
    func badInputIsAClearFailure(_ arguments: [String]) throws {
        let command = try Self.parse(arguments)
        #expect(throws: CLIFailure.self) { try command.makeRequest() }
    }

    @Test func missingRequiredOptionsAreParseErrors() {
        #expect(throws: (any Error).self) { try TokenStoreCommand.parseAsRoot(["request", "https://e.com/x"]) }
    }
}
