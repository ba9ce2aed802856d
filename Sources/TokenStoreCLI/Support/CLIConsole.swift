import Foundation
import Glibc
import Synchronization

/// Where a command reads its input and writes its output, injectable so tests run the
/// commands in-process with a scripted standard input and captured output.
struct CLIConsole: Sendable {
    /// Writes to standard output (the text is written as given; add newlines yourself).
    var writeOutput: @Sendable (String) -> Void
    /// Writes to standard error.
    var writeError: @Sendable (String) -> Void
    /// Reads one line from standard input without its newline, or `nil` at end of input.
    var readLine: @Sendable () -> String?
    /// The process environment (consumer key and secret, `XDG_DATA_HOME`, `HOME`).
    var environment: [String: String]
    /// Whether standard input is a terminal, whose echo ends a prompt's line when the user
    /// presses Enter (`false` for pipes, files and captured consoles).
    var inputIsTerminal = false

    /// Creates a console from its parts.
    init(
        writeOutput: @escaping @Sendable (String) -> Void,
        writeError: @escaping @Sendable (String) -> Void,
        readLine: @escaping @Sendable () -> String?,
        environment: [String: String]
    ) {
        self.writeOutput = writeOutput
        self.writeError = writeError
        self.readLine = readLine
        self.environment = environment
    }

    /// The process's standard streams and environment.
    static var standard: CLIConsole {
        var console = CLIConsole(
            writeOutput: { text in FileHandle.standardOutput.write(Data(text.utf8)) },
            writeError: { text in FileHandle.standardError.write(Data(text.utf8)) },
            readLine: { Swift.readLine(strippingNewline: true) },
            environment: ProcessInfo.processInfo.environment)
        console.inputIsTerminal = isatty(STDIN_FILENO) == 1
        return console
    }

    /// Writes `line` and a newline to standard output.
    func print(_ line: String = "") { writeOutput(line + "\n") }

    /// Writes `line` and a newline to standard error.
    func printError(_ line: String) { writeError(line + "\n") }
}

/// A console whose output is kept in memory and whose input is a fixed list of lines.
final class CapturedConsole: Sendable {
    private struct State {
        var output = ""
        var error = ""
        var input: [String]
    }
    private let state: Mutex<State>

    /// The environment the console reports.
    let environment: [String: String]

    /// Creates a console that answers reads with `input`, one line each, then end of input.
    init(input: [String] = [], environment: [String: String] = [:]) {
        self.state = Mutex(State(input: input))
        self.environment = environment
    }

    /// Everything written to standard output so far.
    var output: String { state.withLock { $0.output } }
    /// Everything written to standard error so far.
    var error: String { state.withLock { $0.error } }

    /// The console to hand to a command.
    var console: CLIConsole {
        CLIConsole(
            writeOutput: { text in self.state.withLock { $0.output += text } },
            writeError: { text in self.state.withLock { $0.error += text } },
            readLine: {
                self.state.withLock { state in state.input.isEmpty ? nil : state.input.removeFirst() }
            },
            environment: environment)
    }
}
