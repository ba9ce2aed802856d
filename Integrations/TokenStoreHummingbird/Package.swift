// swift-tools-version: 6.2
import PackageDescription

// A package of its own, not a target of the root package: SwiftPM resolves (clones and
// checks out) every dependency a package declares, whatever products an app uses, so a
// Hummingbird dependency in the root Package.swift would make every app that only wants
// TokenStoreSQLite resolve Hummingbird, SwiftNIO and async-http-client. Apps that use
// Hummingbird depend on this package; the others never see it.
//
// The example app (`SignInApp`, see Examples/SignInApp/README.md) is a second product here
// rather than a package of its own, so CI builds Hummingbird and SwiftNIO once, not twice.

/// Settings every target of ours shares: Swift 6 mode, warnings are bugs.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "swift-tokenstore-hummingbird",
    products: [
        .library(name: "TokenStoreHummingbird", targets: ["TokenStoreHummingbird"]),
        .executable(name: "SignInApp", targets: ["SignInApp"]),
    ],
    dependencies: [
        .package(name: "swift-tokenstore", path: "../.."),
        // No traits: the defaults add swift-configuration (unused here) to every build.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // Named for the tests' HTTP client (NIOPosix, NIOHTTP1); Hummingbird builds it anyway.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "TokenStoreHummingbird",
            dependencies: [
                .product(name: "TokenStoreKit", package: "swift-tokenstore"),
                .product(name: "TokenStoreFlow", package: "swift-tokenstore"),
                .product(name: "OAuth1", package: "swift-tokenstore"),
                .product(name: "OAuth2", package: "swift-tokenstore"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
        .executableTarget(
            name: "SignInApp",
            dependencies: [
                "TokenStoreHummingbird",
                .product(name: "TokenStoreKit", package: "swift-tokenstore"),
                .product(name: "TokenStoreFlow", package: "swift-tokenstore"),
                .product(name: "TokenStoreSQLite", package: "swift-tokenstore"),
                .product(name: "TokenStorePostgres", package: "swift-tokenstore"),
                .product(name: "TokenStoreRedis", package: "swift-tokenstore"),
                .product(name: "OAuth1", package: "swift-tokenstore"),
                .product(name: "OAuth2", package: "swift-tokenstore"),
                .product(name: "OAuth1Testing", package: "swift-tokenstore"),
                .product(name: "OAuth2Testing", package: "swift-tokenstore"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TokenStoreHummingbirdTests",
            dependencies: [
                "TokenStoreHummingbird",
                .product(name: "TokenStoreKit", package: "swift-tokenstore"),
                .product(name: "TokenStoreFlow", package: "swift-tokenstore"),
                .product(name: "OAuth1", package: "swift-tokenstore"),
                .product(name: "OAuth2", package: "swift-tokenstore"),
                .product(name: "OAuth1Testing", package: "swift-tokenstore"),
                .product(name: "OAuth2Testing", package: "swift-tokenstore"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)

// Documentation, on demand, as in the root package: TOKENSTORE_DOCS=1 adds swift-docc-plugin
// for `swift package generate-documentation --target TokenStoreHummingbird`.
if Context.environment["TOKENSTORE_DOCS"] == "1" {
    package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
