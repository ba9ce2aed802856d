import TokenStoreCLI

await TokenStoreCommand.runFromCommandLine()
