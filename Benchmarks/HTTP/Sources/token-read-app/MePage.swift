import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TokenStoreKit

/// `GET /me`: the example app's home page work. The user id comes from the signed cookie,
/// the access token from the source on every request, and a small HTML page names the
/// user. 401 without a valid cookie and 404 for a user with no token, so a broken run
/// shows up in wrk's non-2xx count instead of as fast errors.
struct MePage: Sendable {
    let cookie: BenchCookie
    let source: any TokenSource

    func add(to router: Router<BasicRequestContext>) {
        router.get("/me") { request, _ in try await self.respond(to: request) }
    }

    func respond(to request: Request) async throws -> Response {
        let now = Int64(Date().timeIntervalSince1970)
        guard let userID = cookie.userID(from: request.cookies[BenchCookie.name]?.value, now: now) else {
            return Self.page("Not signed in", status: .unauthorized)
        }
        guard let token = try await source.accessToken(userID: userID) else {
            return Self.page("No token stored for this user", status: .notFound)
        }
        let name = Self.escaped(token.screenName ?? token.userID)
        let user = Self.escaped(token.userID)
        return Self.page(#"Signed in as <strong id="screen-name">@\#(name)</strong> (user id <span id="user-id">\#(user)</span>)."#)
    }

    static func page(_ sentence: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Me</title></head>
            <body><p>\(sentence)</p></body></html>

            """
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
