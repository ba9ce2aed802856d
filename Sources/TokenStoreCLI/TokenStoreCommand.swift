import ArgumentParser

/// The `tokenstore` command line tool: the root command that holds the subcommands.
///
/// Each subcommand lives in its own file under `Commands/`.
public struct TokenStoreCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tokenstore",
        abstract: "OAuth 1.0a signing and token storage tools.",
        subcommands: [
            SignCommand.self, DemoCommand.self, AuthorizeCommand.self, RequestCommand.self,
            MigrateCommand.self, PurgeCommand.self, StatsCommand.self, KeygenCommand.self, RekeyCommand.self,
            SchemaCommand.self,
            BenchCommand.self,
        ])

    public init() {}

    /// Parses `CommandLine.arguments`, runs the chosen subcommand and exits with its status.
    ///
    /// The `tokenstore` executable calls only this, so it needs no ArgumentParser import.
    public static func runFromCommandLine() async {
        await main()
    }
}
