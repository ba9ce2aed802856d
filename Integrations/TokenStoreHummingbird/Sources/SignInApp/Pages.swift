import HTTPTypes
import Hummingbird

/// The app's HTML, small and escaped.
enum Pages {
    static func html(_ title: String, _ body: String, status: HTTPResponse.Status = .ok) -> Response {
        let page = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(escaped(title))</title></head>
            <body><h1>\(escaped(title))</h1>
            \(body)
            </body></html>
            """
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    static func home(
        user: (screenName: String, userID: String, protocolName: String)?, notice: String?, oauth1Path: String,
        oauth2Path: String
    ) -> Response {
        var body = ""
        if let notice { body += #"<p id="notice">\#(escaped(notice))</p>"# + "\n" }
        if let user {
            body += """
                <p>Signed in as <strong id="screen-name">@\(escaped(user.screenName))</strong> \
                (user id <span id="user-id">\(escaped(user.userID))</span>, \
                with <span id="signed-in-with">\(escaped(user.protocolName))</span>).</p>
                <form id="status-form" method="post" action="/status">
                <input id="status" name="status" maxlength="280" placeholder="What is happening?">
                <button id="post" type="submit">Post</button>
                </form>
                <form id="sign-out-form" method="post" action="/signout"><button id="sign-out" type="submit">Sign out</button></form>
                """
        } else {
            body += """
                <p id="signed-out">Not signed in.</p>
                <p><a id="sign-in" href="\(escaped(oauth1Path))">Sign in with the local provider</a></p>
                <p><a id="sign-in-oauth2" href="\(escaped(oauth2Path))">Sign in with OAuth 2.0</a></p>
                """
        }
        return html("Sign-in example", body)
    }

    static func posted(text: String, screenName: String) -> Response {
        html(
            "Posted",
            #"<p id="posted">@\#(escaped(screenName)) posted: <q id="posted-text">\#(escaped(text))</q></p><p><a id="home" href="/">Back</a></p>"#)
    }

    static func message(_ title: String, _ sentence: String, status: HTTPResponse.Status) -> Response {
        html(title, #"<p id="message">\#(escaped(sentence))</p><p><a id="home" href="/">Back</a></p>"#, status: status)
    }

    static func escaped(_ text: String) -> String {
        var out = ""
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
