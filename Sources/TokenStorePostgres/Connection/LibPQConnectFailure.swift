import Foundation

/// Reads a failed connection's verbose libpq message (``LibPQConnection/connect(parameters:deadline:)``
/// sets `PQERRORS_VERBOSE` while connecting): the server's SQLSTATE when the server refused
/// the session, and the message without the SQLSTATE prefix and source-location lines.
enum LibPQConnectFailure {
    /// `FATAL:  28P01: password authentication failed ...` -> SQLSTATE `28P01` and
    /// `FATAL:  password authentication failed ...`; a client-side failure (no server
    /// reply, `fe_sendauth: ...`) has no SQLSTATE and keeps its text.
    static func failure(verboseMessage: String) -> LibPQFailure {
        var state: String?
        var lines: [Substring] = []
        for line in verboseMessage.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("LOCATION:") { continue }
            lines.append(stripState(from: line, into: &state))
        }
        let message = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return LibPQFailure(kind: .connection, sqlState: state, message: message.isEmpty ? verboseMessage : message)
    }

    /// Removes the `XXXXX: ` after the first severity word (`FATAL:  `, `ERROR:  `) of
    /// `line`, recording the code in `state` (the first one found wins).
    private static func stripState(from line: Substring, into state: inout String?) -> Substring {
        for severity in ["FATAL:  ", "ERROR:  ", "PANIC:  "] {
            guard let range = line.range(of: severity) else { continue }
            let rest = line[range.upperBound...]
            let code = rest.prefix(5)
            guard code.count == 5, code.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }),
                rest.dropFirst(5).hasPrefix(": ")
            else { return line }
            if state == nil { state = String(code) }
            return line[..<range.upperBound] + rest.dropFirst(7)
        }
        return line
    }
}
