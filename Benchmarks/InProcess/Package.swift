// swift-tools-version: 6.1
// In-process benchmarks with ordo-one/benchmark (package-benchmark). Its own package, depending on
// the main one by path like Fuzz/, so `make test` never builds it. `make bench` runs it through
// Benchmarks/run.py, which passes the inputs (a real signed snapshot and keys caches made by the same
// run) in SUNK_BENCH_* variables and reads the JMH export. By hand:
//   SUNK_BENCH_SNAPSHOT=snap SUNK_BENCH_TRUST=trust.pub SUNK_BENCH_KEYS_SMALL=… SUNK_BENCH_KEYS_LARGE=… \
//   swift package --package-path Benchmarks/InProcess benchmark
import PackageDescription

let package = Package(
    name: "SunkBridgeInProcessBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "SunkBridge", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "SunkBridgeInProcess",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SunkSnapshot", package: "SunkBridge"),
                .product(name: "AuthorizedKeys", package: "SunkBridge"),
            ],
            path: "Benchmarks/SunkBridgeInProcess",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
