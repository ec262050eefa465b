// swift-tools-version:6.2
// SUNK Bridge: a SCIM 2.0 receiver that turns Okta/Entra users into POSIX accounts and SSH keys
// served locally on every Slurm node. Data flows one way:
// SCIM HTTP -> model + validation -> store -> snapshot -> node materialisers -> CLI.
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "SunkBridge",
    products: [
        .executable(name: "sunk-bridge", targets: ["sunk-bridge"]),
        .executable(name: "sunk-authorized-keys", targets: ["sunk-authorized-keys"]),
        // For the libFuzzer package in Fuzz/ (it depends on this package by path); not an API.
        .library(name: "SunkModel", targets: ["SunkModel"]),
        .library(name: "SunkSnapshot", targets: ["SunkSnapshot"]),
        .library(name: "AuthorizedKeys", targets: ["AuthorizedKeys"]),
        .library(name: "SCIMProtocol", targets: ["SCIMProtocol"]),
    ],
    dependencies: [
        // Exact pins, and Package.resolved committed: every machine resolves the same graph.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1",
                 traits: ["ConfigurationSupport"]),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", exact: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        // Imported directly, so declared (the versions the packages above resolve to).
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
        // The PostgreSQL engine of the store (PostgresStore); TLS through NIOSSL, as above.
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        // The console's server-rendered pages.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", exact: "2.1.1"),
        // Tests only: the one process spawner (TestSupport), safe to call from parallel suites.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", exact: "1.0.2"),
    ],
    targets: [
        // Domain values and the security rules. No dependencies, no Foundation: the static
        // sshd key helper links it.
        .target(name: "SunkModel", swiftSettings: strict),
        // SCIM wire format: JSON values, filters, PATCH, errors, schemas (RFC 7643/7644).
        .target(name: "SCIMProtocol", dependencies: ["SunkModel"], swiftSettings: strict),
        // The only SQLite user: migrations, records, allocation, tokens, audit. AuthorizedKeys for
        // the one atomic file writer (the backup's temp name, syncs and publication);
        // SAMLServiceProvider for the one check of the console's IdP settings before they are stored.
        .target(name: "SunkStore", dependencies: [
            "SunkModel", "SCIMProtocol", "SunkSnapshot", "AuthorizedKeys", "SAMLServiceProvider",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // The PostgreSQL engine of the store, for several receivers on one database. A target of its
        // own: SunkStore (and so SCIMServer and the node-side targets) never links postgres-nio; only
        // the command line that opens a store by URL does. The engine-neutral rules it keeps are
        // SunkStore's `package` API, so each rule is written once.
        .target(name: "SunkPostgres", dependencies: [
            "SunkStore", "SunkModel", "SunkSnapshot",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // Versioned, deterministic export document that nodes consume.
        .target(name: "SunkSnapshot", dependencies: [
            "SunkModel",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // The admin console under /console/ on the receiver's listener: SAML sign-in through the
        // org's IdP, server-side sessions, CSRF-checked forms, server-rendered pages (Mustache).
        .target(name: "Console", dependencies: [
            "SunkModel", "SunkStore", "SAMLServiceProvider",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // HTTP routes, bearer auth, error mapping.
        .target(name: "SCIMServer", dependencies: [
            "SunkModel", "SCIMProtocol", "SunkStore", "SunkSnapshot", "AuthorizedKeys", "Console",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),
        // Node side: fetch a snapshot, render NSS files, write atomically, create homes.
        .target(name: "NodeSync", dependencies: [
            "SunkModel", "SunkSnapshot", "AuthorizedKeys", "ProcessRunner",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], swiftSettings: strict),
        // Controller side: Slurm accounts and associations from the same verified snapshot
        // (`slurm sync`): sacctmgr state parser, planner, guard, argv executor.
        .target(name: "SlurmSync", dependencies: ["SunkSnapshot", "ProcessRunner"], swiftSettings: strict),
        // The one way a child program is run (visudo, sshd -T, the on-lock hook, loginctl, sacctmgr,
        // scancel): argv, environment, time limit with SIGTERM then SIGKILL, capped output, one launch
        // at a time (Foundation's Process.run() is not thread-safe on Linux).
        // AuthorizedKeys for the one errno/EINTR layer.
        .target(name: "ProcessRunner", dependencies: ["AuthorizedKeys"], swiftSettings: strict),
        // Tiny exact lookup in the keys cache, shared by the helper and `getent`. No Foundation.
        .target(name: "AuthorizedKeys", dependencies: ["SunkModel"], swiftSettings: strict),
        // `doctor`: checks a login node through the same types and paths `sync` writes.
        .target(name: "NodeDoctor", dependencies: ["NodeSync", "SunkSnapshot", "SunkModel", "ProcessRunner"],
                swiftSettings: strict),
        // /etc/sunk-bridge/config.yaml under the SUNK_BRIDGE_* environment: schema, loading, every
        // value checked by the rule of the target it configures, and the flag > environment > file >
        // default precedence. No argument parser: commands print its problems their own way.
        .target(name: "SunkConfig", dependencies: [
            "SunkModel", "SunkStore", "SunkPostgres", "SunkSnapshot", "SCIMServer", "NodeSync", "SlurmSync",
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        // Debian's libxmlsec1 (OpenSSL backend) with libxml2, OpenSSL's X.509 reader and zlib:
        // the XML-signature implementation behind SAML sign-in (apt: libxmlsec1-dev).
        .systemLibrary(name: "CXMLSec", path: "Sources/CXMLSec", pkgConfig: "xmlsec1-openssl",
                       providers: [.apt(["libxmlsec1-dev", "libxml2-dev", "libssl-dev", "zlib1g-dev"])]),
        // SAML 2.0 Web SSO service provider for the console: settings and SP metadata,
        // AuthnRequests (HTTP-Redirect), and the one trust decision on a posted SAMLResponse. No
        // store, no server: the console owns where settings live and how sessions start.
        .target(name: "SAMLServiceProvider", dependencies: ["CXMLSec"], swiftSettings: strict),
        .executableTarget(name: "sunk-bridge", dependencies: [
            "SunkModel", "SunkStore", "SunkSnapshot", "SCIMServer", "NodeSync", "SlurmSync", "NodeDoctor", "SunkConfig",
            "SunkPostgres", "SAMLServiceProvider",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ], swiftSettings: strict),
        .executableTarget(name: "sunk-authorized-keys", dependencies: ["AuthorizedKeys", "SunkModel"],
                          swiftSettings: strict),

        // Shared by every test target: the process spawner, binary locator, SSH key builder, seeded
        // generator, output collector and the Swift Testing tags. Not shipped in any product.
        .target(name: "TestSupport", dependencies: [
            .product(name: "Subprocess", package: "swift-subprocess"),
        ], path: "Tests/TestSupport"),
        // Snapshot users, groups and bodies for SunkSnapshotTests and NodeSyncTests.
        .target(name: "SnapshotTestSupport", dependencies: ["SunkSnapshot", "SunkModel", "TestSupport"],
                path: "Tests/SnapshotTestSupport"),

        .testTarget(name: "SunkModelTests", dependencies: ["SunkModel", "TestSupport"]),
        .testTarget(name: "SCIMProtocolTests", dependencies: ["SCIMProtocol", "TestSupport"]),
        .testTarget(name: "SunkStoreTests", dependencies: [
            "SunkStore", "SunkPostgres", "TestSupport", "SunkModel", "SCIMProtocol", "SunkSnapshot",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "SCIMServerTests", dependencies: [
            "SCIMServer", "SunkStore", "SunkModel", "SCIMProtocol", "SunkSnapshot", "AuthorizedKeys", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "SlurmSyncTests", dependencies: [
            "SlurmSync", "SunkSnapshot", "SunkModel", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "NodeDoctorTests", dependencies: [
            "NodeDoctor", "NodeSync", "SunkSnapshot", "SunkModel", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "SunkConfigTests", dependencies: ["SunkConfig", "SunkModel", "TestSupport"]),
        .testTarget(name: "ProcessRunnerTests", dependencies: ["ProcessRunner"]),
        .testTarget(name: "NodeSyncTests", dependencies: [
            "NodeSync", "SunkSnapshot", "SunkModel", "AuthorizedKeys", "TestSupport", "SnapshotTestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "SunkSnapshotTests", dependencies: [
            "SunkSnapshot", "SunkModel", "TestSupport", "SnapshotTestSupport",
        ]),
        // The console in process (and a real browser), signed in through the real IdP of
        // Tests/e2e/saml/idp.py.
        .testTarget(name: "ConsoleTests", dependencies: [
            "Console", "SCIMServer", "SunkStore", "SunkModel", "SAMLServiceProvider", "TestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Against a real IdP: pysaml2 + xmlsec1 driven by Tests/e2e/saml/idp.py.
        .testTarget(name: "SAMLServiceProviderTests", dependencies: ["SAMLServiceProvider", "TestSupport"]),
        // The keys cache, the static sshd helper (run as a child) and real sshd.
        .testTarget(name: "AuthorizedKeysTests", dependencies: ["AuthorizedKeys", "SunkModel", "TestSupport"]),
    ]
)
