// swift-tools-version: 6.2
import PackageDescription

// The HTTP load benchmark (issue 19, "The load it carries"): a Hummingbird app whose one
// page reads the signed-in user's access token on every request, against each store and
// against postgres-nio / sqlite-nio doing the same SELECT. A package of its own, only for
// benchmarking: CI never builds it, and neither the library nor the Hummingbird
// integration resolves postgres-nio or sqlite-nio because of it. Run it with
// Benchmarks/HTTP/run (see README.md beside this file).

/// Settings every target of ours shares: Swift 6 mode, warnings are bugs.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "swift-tokenstore-http-benchmark",
    dependencies: [
        // `name:` because a path dependency otherwise takes its identity from the directory
        // name, which differs between checkouts.
        .package(name: "swift-tokenstore", path: "../.."),
        // No traits: the defaults add swift-configuration, unused here.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Named for NIOCore (the server channel's bound port) and HTTPTypes (statuses,
        // header names); Hummingbird builds both anyway.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "token-read-app",
            dependencies: [
                .product(name: "OAuth1", package: "swift-tokenstore"),
                .product(name: "TokenStoreKit", package: "swift-tokenstore"),
                .product(name: "TokenStoreSQLite", package: "swift-tokenstore"),
                .product(name: "TokenStorePostgres", package: "swift-tokenstore"),
                .product(name: "TokenStoreRedis", package: "swift-tokenstore"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)
