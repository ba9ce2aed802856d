// swift-tools-version: 6.1
// The package-benchmark suites, in their own package so `swift test` on the library never
// builds the benchmark dependency graph. Run from the repository root:
//   swift package --package-path Benchmarks benchmark
import PackageDescription

let package = Package(
    name: "swift-tokenstore-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // `name:` because a path dependency otherwise takes its identity from the directory
        // name, which differs between checkouts.
        .package(name: "swift-tokenstore", path: "../"),
        // Only the malloc interposer: the default traits pull a package not available here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The floors: the same operations written directly in C against libcrypto, sqlite3,
        // libpq and hiredis (Debian's -dev packages, as the library uses them).
        .target(
            name: "CFloors",
            path: "Sources/CFloors",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [
                .linkedLibrary("crypto"), .linkedLibrary("sqlite3"), .linkedLibrary("pq"),
                .linkedLibrary("hiredis"), .linkedLibrary("pthread"),
            ]
        ),
        .executableTarget(
            name: "OAuth1Benchmarks",
            dependencies: [
                "CFloors",
                .product(name: "OAuth1", package: "swift-tokenstore"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/OAuth1Benchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "StoreBenchmarks",
            dependencies: [
                "CFloors",
                .product(name: "TokenStoreKit", package: "swift-tokenstore"),
                .product(name: "TokenStoreFile", package: "swift-tokenstore"),
                .product(name: "TokenStoreSQLite", package: "swift-tokenstore"),
                .product(name: "TokenStorePostgres", package: "swift-tokenstore"),
                .product(name: "TokenStoreRedis", package: "swift-tokenstore"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/StoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
