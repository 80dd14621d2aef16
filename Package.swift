// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Warden",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "WardenLang", targets: ["WardenLang"]),
        .library(name: "WardenEngine", targets: ["WardenEngine"]),
        .executable(name: "warden", targets: ["warden"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "WardenLang"),
        .target(name: "WardenEngine", dependencies: ["WardenLang", "CPCRE2", "CSQLite"]),
        .target(name: "WardenSweep", dependencies: ["WardenEngine", "CSQLite"]),
        .target(
            name: "WardenServer",
            dependencies: [
                "WardenEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .executableTarget(
            name: "warden",
            dependencies: [
                "WardenLang", "WardenEngine", "WardenSweep", "WardenServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Golden files and conformance cases are read from the source tree (#filePath), as data.
        // Benchmarks: the hand-written Swift yardstick lives in a library so a test can check
        // that it agrees with the engine on every sample record.
        .target(name: "WardenBenchmarks", dependencies: ["WardenEngine"], path: "tools/WardenBenchmarks"),
        .executableTarget(name: "warden-bench", dependencies: ["WardenEngine", "WardenBenchmarks"], path: "tools/warden-bench"),
        .testTarget(name: "WardenBenchmarksTests", dependencies: ["WardenBenchmarks", "WardenEngine"]),
        .testTarget(name: "WardenLangTests", dependencies: ["WardenLang", "WardenEngine"], exclude: ["golden"]),
        .testTarget(name: "WardenEngineTests", dependencies: ["WardenEngine", "WardenLang"], exclude: ["Conformance"]),
        .testTarget(name: "WardenSweepTests", dependencies: ["WardenSweep", "WardenEngine", "CSQLite"], exclude: ["Fixtures"]),
        .executableTarget(
            name: "warden-datagen",
            dependencies: ["WardenEngine", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "tools/warden-datagen"),
        .testTarget(
            name: "WardenServerTests",
            dependencies: [
                "WardenServer", "WardenEngine", "warden",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "WardenCLITests", dependencies: ["warden", "warden-datagen", "WardenEngine"]),
    ]
)
