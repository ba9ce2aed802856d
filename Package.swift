// swift-tools-version: 6.2
import PackageDescription

/// Settings every target of ours shares: Swift 6 mode, warnings are bugs.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "swift-tokenstore",
    // No `platforms`: the package builds on Linux only today. The I/O layer
    // (`Sources/TokenStoreIO`) has a poll(2) backend beside epoll for systems without it,
    // but the Redis and SQLite drivers, `MigrationCheckpointFile`, `SealingKeyRing` and
    // the CLI still import Glibc unconditionally (and Redis sends with MSG_NOSIGNAL), and
    // the C library targets name only apt providers. SwiftPM has no way to declare a
    // Linux-only package, and a macOS minimum here would claim a platform the code does
    // not build on; once it does, the minimum is macOS 15 (Synchronization's `Mutex`).
    products: [
        .library(name: "OAuth1", targets: ["OAuth1"]),
        .library(name: "OAuth1Testing", targets: ["OAuth1Testing"]),
        .library(name: "OAuth2", targets: ["OAuth2"]),
        .library(name: "OAuth2Testing", targets: ["OAuth2Testing"]),
        .library(name: "TokenStoreKit", targets: ["TokenStoreKit"]),
        .library(name: "TokenStoreFile", targets: ["TokenStoreFile"]),
        .library(name: "TokenStoreSealing", targets: ["TokenStoreSealing"]),
        .library(name: "TokenStoreFlow", targets: ["TokenStoreFlow"]),
        .library(name: "TokenStoreMigration", targets: ["TokenStoreMigration"]),
        .library(name: "TokenStoreSQLite", targets: ["TokenStoreSQLite"]),
        .library(name: "TokenStorePostgres", targets: ["TokenStorePostgres"]),
        .library(name: "TokenStoreRedis", targets: ["TokenStoreRedis"]),
        .library(name: "TokenStoreTesting", targets: ["TokenStoreTesting"]),
        .executable(name: "tokenstore", targets: ["tokenstore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // C libraries from Debian's -dev packages, prefixed so they never clash with
        // another package's `CSQLite` in a user's dependency graph.
        .systemLibrary(
            name: "CTokenStoreOpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CTokenStoreSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CTokenStoreLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // No pkgConfig: hiredis.pc carries -D_FILE_OFFSET_BITS=64, which SwiftPM rejects
        // with a warning on every build; the shim includes <hiredis/hiredis.h> instead.
        .systemLibrary(name: "CTokenStoreHiredis", providers: [.apt(["libhiredis-dev"])]),
        // Linux system headers (epoll, eventfd) that Glibc's Swift module leaves out.
        .systemLibrary(name: "CTokenStoreSystem"),

        .target(
            name: "OAuth1",
            dependencies: [
                "CTokenStoreOpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "OAuth1Testing",
            dependencies: [
                "OAuth1",
                .product(name: "FlyingFox", package: "FlyingFox"),
            ],
            swiftSettings: strictSettings),
        // OAuth 2.0 (RFC 6749, 7636, 7009) on OAuth1's HTTP transport, base64 and OpenSSL helpers.
        .target(
            name: "OAuth2",
            dependencies: [
                "OAuth1",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "OAuth2Testing",
            dependencies: [
                "OAuth2", "OAuth1", "OAuth1Testing",
                .product(name: "FlyingFox", package: "FlyingFox"),
            ],
            swiftSettings: strictSettings),
        // The schema files, embedded into the binary so an installed `tokenstore` needs no
        // resource bundle beside it. One target per dialect: the PostgreSQL product never
        // carries the SQLite schema and the other way round.
        .target(
            name: "TokenStoreSQLiteMigrations",
            dependencies: ["TokenStoreKit"],
            path: "Migrations/sqlite",
            resources: [.embedInCode("0001_create_tokens.sql"), .embedInCode("0002_create_token_sets.sql")],
            swiftSettings: strictSettings),
        .target(
            name: "TokenStorePostgresMigrations",
            dependencies: ["TokenStoreKit"],
            path: "Migrations/postgres",
            resources: [.embedInCode("0001_create_tokens.sql")],
            swiftSettings: strictSettings),
        // The contract alone (protocol, models, errors, registry, the memory store): no C
        // library. Every store, sealing, the flow and migration build on it.
        .target(
            name: "TokenStoreKit",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "TokenStoreFile",
            dependencies: [
                "TokenStoreKit", "CTokenStoreOpenSSL", "CTokenStoreSystem",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "TokenStoreSealing",
            dependencies: ["TokenStoreKit", "OAuth1", "CTokenStoreOpenSSL"],
            swiftSettings: strictSettings),
        .target(
            name: "TokenStoreMigration",
            dependencies: ["TokenStoreKit", "TokenStoreSealing", "CTokenStoreOpenSSL"],
            swiftSettings: strictSettings),
        .target(
            name: "TokenStoreFlow",
            dependencies: [
                "TokenStoreKit", "OAuth1", "OAuth2", "CTokenStoreOpenSSL",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        // The I/O layer only the server drivers use: epoll, socket waits, the connection
        // pool, the coalescer. Not a product: its API is `package`, free to change.
        .target(
            name: "TokenStoreIO",
            dependencies: [
                "TokenStoreKit", "CTokenStoreSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "TokenStoreSQLite",
            dependencies: [
                "TokenStoreKit", "TokenStoreSQLiteMigrations", "CTokenStoreSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "TokenStorePostgres",
            dependencies: [
                "TokenStoreKit", "TokenStoreIO", "TokenStorePostgresMigrations", "CTokenStoreLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "TokenStoreRedis",
            dependencies: [
                "TokenStoreKit", "TokenStoreIO", "CTokenStoreHiredis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "TokenStoreTesting",
            dependencies: [
                "TokenStoreKit", "TokenStoreFlow", "OAuth1Testing", "OAuth2", "OAuth2Testing",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "TokenStoreCLI",
            dependencies: [
                "OAuth1", "OAuth1Testing", "OAuth2", "TokenStoreKit", "TokenStoreFile", "TokenStoreSealing", "TokenStoreFlow",
                "TokenStoreMigration", "TokenStoreSQLite", "TokenStorePostgres", "TokenStoreRedis",
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .executableTarget(
            name: "tokenstore",
            dependencies: ["TokenStoreCLI"],
            swiftSettings: strictSettings),

        // Spawned by the conformance suite to race `take` across processes.
        .executableTarget(
            name: "tokenstore-test-worker",
            dependencies: [
                "TokenStoreKit", "TokenStoreFile", "TokenStoreSQLite", "TokenStorePostgres", "TokenStoreRedis",
                "TokenStoreFlow", "OAuth1", "OAuth2",
            ],
            swiftSettings: strictSettings),

        // libFuzzer target for the Redis reply parser (Scripts/fuzz-resp); a plain build
        // makes a replayer of its corpus.
        .executableTarget(
            name: "resp-fuzz",
            dependencies: ["TokenStoreRedis"],
            path: "Fuzz/RESPParserFuzz",
            exclude: ["Corpus"],
            swiftSettings: strictSettings),

        .testTarget(
            name: "OAuth1Tests",
            dependencies: ["OAuth1", "OAuth1Testing"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "OAuth2Tests",
            dependencies: [
                "OAuth2", "OAuth2Testing", "OAuth1", "TokenStoreTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStoreKitTests",
            dependencies: [
                "TokenStoreKit", "TokenStoreTesting", "OAuth1", "OAuth2", "TokenStoreSealing", "TokenStoreFlow",
                "TokenStoreSQLite", "tokenstore-test-worker",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStoreFileTests",
            dependencies: ["TokenStoreFile", "TokenStoreKit", "TokenStoreTesting", "tokenstore-test-worker"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStoreSealingTests",
            dependencies: ["TokenStoreSealing", "TokenStoreFile", "TokenStoreKit", "TokenStoreTesting"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStoreFlowTests",
            dependencies: [
                "TokenStoreFlow", "TokenStoreFile", "TokenStoreKit", "TokenStoreTesting", "OAuth1", "OAuth1Testing",
                "OAuth2", "OAuth2Testing", .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStoreMigrationTests",
            dependencies: ["TokenStoreMigration", "TokenStoreSealing", "TokenStoreKit", "TokenStoreTesting"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStoreIOTests",
            dependencies: [
                "TokenStoreIO", "TokenStoreKit", "TokenStoreTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStoreSQLiteTests",
            dependencies: [
                "TokenStoreSQLite", "TokenStoreSealing", "TokenStoreTesting", "tokenstore-test-worker",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStorePostgresTests",
            dependencies: [
                "TokenStorePostgres", "TokenStoreIO", "TokenStoreSealing", "TokenStoreTesting", "tokenstore-test-worker",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStoreRedisTests",
            dependencies: [
                "TokenStoreRedis", "TokenStoreSealing", "TokenStoreTesting", "tokenstore-test-worker", "resp-fuzz",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStoreCLITests",
            dependencies: [
                "TokenStoreCLI", "TokenStoreSealing", "TokenStoreMigration", "TokenStoreTesting", "tokenstore", "OAuth2",
                "OAuth2Testing",
            ],
            swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)

// Documentation, on demand: with TOKENSTORE_DOCS=1 in the environment (Scripts/docs sets
// it) the package also depends on swift-docc-plugin, for `swift package
// generate-documentation`. Left out otherwise: SwiftPM compiles every plugin of every
// dependency on a fresh build, although a command plugin only runs when asked, so a plain
// dependency would add that compile to every `swift build` and `swift test` in CI.
if Context.environment["TOKENSTORE_DOCS"] == "1" {
    package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
