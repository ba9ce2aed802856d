import HTTPTypes
import Hummingbird

/// The small HTML pages the routes answer with when a sign-in cannot go on: a status, a
/// sentence for a person, a link. Never an error's text (it may name a record), a stack
/// trace or a secret.
enum SignInPage {
    static func response(for failure: SignInFailure, startAgain: String?, appPath: String) -> Response {
        let (status, title, sentence): (HTTPResponse.Status, String, String) =
            switch failure {
            case .startAgain:
                (.badRequest, "Sign-in could not be completed",
                 "This sign-in link is unknown, has expired or was already used. Please start again.")
            case .foreignCallback:
                (.badRequest, "Sign-in could not be completed",
                 "This sign-in link was started in another browser, or was already used. Please start again from this browser.")
            case .denied:
                (.seeOther, "Sign-in cancelled", "You declined the authorization.")
            case .providerUnavailable:
                (.badGateway, "The provider is not answering",
                 "The sign-in provider did not answer properly. Please try again in a moment.")
            case .storeUnavailable:
                (.serviceUnavailable, "Sign-in is unavailable", "Sign-in is unavailable right now. Please try again in a moment.")
            case .internalError:
                (.internalServerError, "Something went wrong", "Sign-in failed on our side. Please try again later.")
            }
        var links = ""
        if let startAgain { links += #"<p><a id="start-again" href="\#(escaped(startAgain))">Start again</a></p>"# }
        links += #"<p><a id="back" href="\#(escaped(appPath))">Back to the app</a></p>"#
        let html = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(escaped(title))</title></head>
            <body><h1>\(escaped(title))</h1><p id="sign-in-error">\(escaped(sentence))</p>\(links)</body></html>
            """
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .xContentTypeOptions: "nosniff"]
        SafetyHeaders.apply(to: &headers)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// `text` made safe inside HTML text and double-quoted attribute values.
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
