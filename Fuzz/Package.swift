// swift-tools-version:5.4
// (5.4 on purpose: from 5.5 on, SwiftPM links an executable with `main` redirected to
// `<module>_main`, which a libFuzzer target does not define: its `main` is libFuzzer's.)
//
// libFuzzer targets for the parsers a node runs on untrusted bytes. Its own package, so the main
// package's manifest, builds and CI stay untouched; see README.md here for how to build and run.
//
// Each target is one file with `LLVMFuzzerTestOneInput` and no `main` (libFuzzer's runtime has
// it). The sanitizer flags are not in this manifest: `run.sh` passes `-Xswiftc -sanitize=fuzzer,address`
// to the whole build so SunkModel, SunkSnapshot and AuthorizedKeys (the code under test, from the
// parent package) get coverage instrumentation too, which target-level flags cannot do.
import PackageDescription

let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "SunkBridgeFuzz",
    dependencies: [
        .package(name: "SunkBridge", path: ".."),
    ],
    targets: [
        .executableTarget(name: "fuzz-snapshot", dependencies: [
            .product(name: "SunkSnapshot", package: "SunkBridge"),
            .product(name: "SunkModel", package: "SunkBridge"),
        ], swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-keys-cache", dependencies: [
            .product(name: "AuthorizedKeys", package: "SunkBridge"),
            .product(name: "SunkModel", package: "SunkBridge"),
        ], swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-ssh-key", dependencies: [
            .product(name: "SunkModel", package: "SunkBridge"),
        ], swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-scim-filter", dependencies: [
            .product(name: "SCIMProtocol", package: "SunkBridge"),
        ], swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-scim-patch", dependencies: [
            .product(name: "SCIMProtocol", package: "SunkBridge"),
        ], swiftSettings: fuzzTarget),
        // Not a fuzz target: writes the snapshot and keys-cache seed corpora (`run.sh seeds`).
        .executableTarget(name: "fuzz-seeds", dependencies: [
            .product(name: "SunkSnapshot", package: "SunkBridge"),
            .product(name: "SunkModel", package: "SunkBridge"),
            .product(name: "AuthorizedKeys", package: "SunkBridge"),
        ], swiftSettings: fuzzTarget),
    ]
)
