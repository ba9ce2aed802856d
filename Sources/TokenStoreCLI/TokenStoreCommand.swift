import ArgumentParser

/// The `tokenstore` command line tool: the root command that holds the subcommands.
///
/// Each subcommand lives in its own file under `Commands/`. Nothing in this module is
/// public API: the root command is `package` so the `tokenstore` executable target can
/// start it, and everything else is internal (the tests use `@testable import`).
package struct TokenStoreCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "tokenstore",
        abstract: "OAuth 1.0a signing and token storage tools.",
        subcommands: [
            SignCommand.self, DemoCommand.self, AuthorizeCommand.self, RequestCommand.self,
            MigrateCommand.self, PurgeCommand.self, StatsCommand.self, KeygenCommand.self, RekeyCommand.self,
            SchemaCommand.self,
            BenchCommand.self,
        ])

    package init() {}

    /// Parses `CommandLine.arguments`, runs the chosen subcommand and exits with its status.
    ///
    /// The `tokenstore` executable calls only this, so it needs no ArgumentParser import.
    package static func runFromCommandLine() async {
        await main()
    }
}
