// Races `take` (and, in `refresh` mode, `validAccessToken`: RefreshWorker.swift) against
// other processes for the conformance suite's cross-process cases; `provider` mode hosts
// the local OAuth 2.0 provider they refresh against (ProviderWorker.swift).
//
//     tokenstore-test-worker take URL HEX_TOKEN...
//
// Opens URL through the registry, prints `ready`, waits for a line on standard input so
// every worker starts racing at once, takes every token (all concurrently), prints
// `won HEX_TOKEN` per token it got, then `done`. Any error prints `error ...`, exit 1.
import Foundation
import TokenStoreFile
import TokenStoreKit
import TokenStorePostgres
import TokenStoreRedis
import TokenStoreSQLite

func unhex(_ text: String) -> String? {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
        guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
        bytes.append(byte)
        index = next
    }
    return String(validating: bytes, as: UTF8.self)
}

func hex(_ text: String) -> String {
    text.utf8.map { String(format: "%02x", $0) }.joined()
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Opens `url` with every driver registered.
func openStore(_ url: String) async throws -> any TokenStore {
    TokenStoreRegistry.shared.register(FileTokenStore.driver)
    TokenStoreRegistry.shared.register(SQLiteTokenStore.driver)
    TokenStoreRegistry.shared.register(PostgresTokenStore.driver)
    TokenStoreRegistry.shared.register(RedisTokenStore.driver)
    return try await TokenStoreRegistry.shared.open(url)
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "refresh" {
    exit(await runRefreshWorker(Array(arguments.dropFirst())))
}
if arguments.first == "provider" {
    exit(await runProviderWorker(Array(arguments.dropFirst())))
}
guard arguments.count >= 2, arguments[0] == "take" else {
    say("error usage: tokenstore-test-worker take URL HEX_TOKEN... | refresh ...")
    exit(2)
}
let url = arguments[1]
let hexTokens = Array(arguments.dropFirst(2))

do {
    let store = try await openStore(url)
    say("ready")
    _ = readLine()
    let won = try await withThrowingTaskGroup(of: String?.self) { group in
        for hexToken in hexTokens {
            guard let token = unhex(hexToken) else { continue }
            group.addTask { try await store.takeRequestToken(token) == nil ? nil : hexToken }
        }
        var won: [String] = []
        for try await result in group { if let result { won.append(result) } }
        return won
    }
    for hexToken in won { say("won " + hexToken) }
    try await store.close()
    say("done")
    exit(0)
} catch {
    say("error \(error)")
    exit(1)
}
