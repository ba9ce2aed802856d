/// A failure a command reports to the user: the message is what `tokenstore` prints
/// after `Error:` before exiting with a non-zero status. Never holds a secret.
struct CLIFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to do.
    var message: String

    /// Creates a failure with `message`.
    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
