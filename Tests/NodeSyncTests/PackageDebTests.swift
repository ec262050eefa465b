// The Debian package: build it (or take the one `make deb` left in dist/), then
// Tests/e2e/deb/run.sh installs it into a scratch root with real dpkg, checks owners and modes,
// runs `sunk-bridge doctor` against a good and a bad node set-up, removes and purges it, and
// checks that the host was not touched; Tests/e2e/systemd/run.sh installs it in a throw-away
// container that boots the real systemd and runs the receiver, the sync and the timer.
//
// Where the .deb comes from, first match wins:
//   SUNK_BRIDGE_DEB=path                  that file;
//   SUNK_BRIDGE_TEST_MAKE_DEB=1           `make deb` in the repository, then dist/;
//   dist/sunk-bridge_*.deb                the newest one (CI runs `make deb` before `swift test`);
//   SUNK_BRIDGE_BIN_DIR=dir               packaging/deb/build-deb.sh with the executables there;
//   the test build's own executables      sunk-bridge and sunk-authorized-keys next to this test
//                                         binary (dynamic: packaged with ALLOW_DYNAMIC_SWIFT=1).
import Foundation
import Testing
import TestSupport

@Suite("packaging: the .deb in a scratch root", .serialized, .tags(.e2e, .root), .exclusive, .timeLimit(.minutes(20)))
struct PackageDebTests {
    /// The repository (this file's real location, symlinks resolved), or SUNK_BRIDGE_REPO.
    static func repository(file: String = #filePath) -> String {
        if let r = ProcessInfo.processInfo.environment["SUNK_BRIDGE_REPO"], !r.isEmpty { return r }
        return URL(fileURLWithPath: file).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static func newestDeb(in dir: String) -> String? {
        let fm = FileManager.default
        let debs = ((try? fm.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix("sunk-bridge_") && $0.hasSuffix(".deb") }
            .map { dir + "/" + $0 }
        return debs.max { a, b in
            let da = (try? fm.attributesOfItem(atPath: a)[.modificationDate] as? Date) ?? .distantPast
            let db = (try? fm.attributesOfItem(atPath: b)[.modificationDate] as? Date) ?? .distantPast
            return da < db
        }
    }

    /// Builds with build-deb.sh from BIN_DIR into a temp directory.
    static func buildDeb(binDir: String, allowDynamic: Bool) async throws -> String {
        let repo = repository()
        let out = NSTemporaryDirectory() + "/sunk-bridge-deb-test-\(UUID().uuidString.prefix(8))"
        var env = ProcessInfo.processInfo.environment
        if allowDynamic { env["ALLOW_DYNAMIC_SWIFT"] = "1" }
        let r = try await run("/bin/bash", [repo + "/packaging/deb/build-deb.sh", binDir, "0.0.0~test", out],
                                        environment: env, error: .separate)
        guard r.status == 0, let path = r.lines.last, FileManager.default.fileExists(atPath: path) else {
            throw PackageTestError(description: "build-deb.sh failed (\(r.status)): \(r.stdout)\(r.stderr)")
        }
        return path
    }

    static func findDeb() async throws -> (path: String, origin: String) {
        let env = ProcessInfo.processInfo.environment
        let repo = repository()
        if let d = env["SUNK_BRIDGE_DEB"], !d.isEmpty { return (d, "SUNK_BRIDGE_DEB") }
        if env["SUNK_BRIDGE_TEST_MAKE_DEB"] == "1" {
            let r = try await run("/usr/bin/make", ["-C", repo, "deb"], error: .separate)
            guard r.status == 0 else {
                throw PackageTestError(description: "make deb failed (\(r.status)): \(r.stdout.suffix(2000))\(r.stderr.suffix(2000))")
            }
        }
        if let d = newestDeb(in: repo + "/dist") { return (d, "dist/ (make deb)") }
        if let dir = env["SUNK_BRIDGE_BIN_DIR"], !dir.isEmpty {
            return (try await buildDeb(binDir: dir, allowDynamic: false), "build-deb.sh with SUNK_BRIDGE_BIN_DIR=\(dir)")
        }
        let products = URL(fileURLWithPath: try Binaries.sunkBridge()).deletingLastPathComponent().path
        guard FileManager.default.isExecutableFile(atPath: products + "/sunk-authorized-keys") else {
            throw PackageTestError(description: """
                no .deb to test: run `make deb` (dist/), or set SUNK_BRIDGE_DEB, or SUNK_BRIDGE_BIN_DIR to a \
                directory with sunk-bridge and sunk-authorized-keys (none next to the test binary in \(products))
                """)
        }
        return (try await buildDeb(binDir: products, allowDynamic: true), "the test build's executables (dynamic)")
    }

    @Test("install into a scratch root, modes and owners, doctor good and bad, remove and purge")
    func endToEnd() async throws {
        try requireRoot("dpkg into a scratch root, chown, a private mount namespace")
        for tool in ["/usr/bin/dpkg", "/usr/bin/dpkg-deb", "/usr/bin/unshare", "/usr/sbin/adduser"] {
            guard FileManager.default.isExecutableFile(atPath: tool) else {
                throw PackageTestError(description: "\(tool) is missing (apt-get install dpkg util-linux adduser)")
            }
        }
        let (deb, origin) = try await Self.findDeb()
        print("testing \(deb) from \(origin)")
        defer {   // a .deb this test built lives in its own temp directory
            let dir = URL(fileURLWithPath: deb).deletingLastPathComponent().path
            if dir.contains("/sunk-bridge-deb-test-") { try? FileManager.default.removeItem(atPath: dir) }
        }

        let field = { (name: String) async throws -> String in
            try await run("/usr/bin/dpkg-deb", ["-f", deb, name], error: .separate).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try await field("Package") == "sunk-bridge")
        #expect(try await field("Depends").contains("libc6"))
        #expect(try await field("Recommends") == "libnss-extrausers | libnss-cache, openssh-server")

        let script = Self.repository() + "/Tests/e2e/deb/run.sh"
        let r = try await run("/bin/bash", [script, deb], error: .separate)
        #expect(r.status == 0, "run.sh failed:\n\(r.stdout)\(r.stderr)")
        #expect(r.lines.last == "ALL CHECKS PASSED", "\(r.lines.suffix(5))")
        for expected in [
            "ok   dpkg -i into the scratch root",
            "ok   helper and every parent directory root-owned and not group/world-writable",
            "ok   scratch /etc/ssh, /etc/nsswitch.conf and /etc/pam.d unchanged by installing",
            "ok   doctor good (text): exit 0 (got 0)",
            "ok   doctor bad (text): exit 1 (got 1)",
            "ok   dpkg --purge",
            "ok   purge: the database survives (/var/lib/sunk-bridge/server/sunk-bridge.sqlite)",
            "ok   purge: nothing else left behind",
            "ok   host untouched (accounts, nsswitch.conf, sshd_config, dpkg status, no package path)",
        ] {
            #expect(r.lines.contains(expected), "missing line: \(expected)")
        }
        #expect(!r.lines.contains { $0.hasPrefix("FAIL ") }, "\(r.lines.filter { $0.hasPrefix("FAIL ") })")
    }

    @Test("the units under a real systemd: receiver as its own user with no capabilities, oneshot sync, timer, watch, clean stop")
    func systemdUnits() async throws {
        try requireRoot("a throw-away container with its own systemd (namespaces, overlayfs, cgroup2)")
        guard FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd") else {
            throw PackageTestError(description: "/lib/systemd/systemd is missing (apt-get install systemd): the units are tested under it")
        }
        let (deb, origin) = try await Self.findDeb()
        print("testing \(deb) from \(origin) under systemd")
        defer {
            let dir = URL(fileURLWithPath: deb).deletingLastPathComponent().path
            if dir.contains("/sunk-bridge-deb-test-") { try? FileManager.default.removeItem(atPath: dir) }
        }
        let r = try await run("/bin/bash", [Self.repository() + "/Tests/e2e/systemd/run.sh", deb], error: .separate)
        #expect(r.status == 0, "run.sh failed:\n\(r.stdout)\(r.stderr)")
        #expect(r.lines.last == "ALL CHECKS PASSED", "\(r.lines.suffix(5))")
        for expected in [
            "ok   systemd ",                                         // booted as PID 1
            "ok   dpkg -i ",
            "ok   systemctl start sunk-bridge.service",
            "ok   GET http://127.0.0.1:",                            // /healthz -> 200
            "ok   database /var/lib/sunk-bridge/server/sunk-bridge.sqlite exists, owned by sunk-bridge",
            "ok   /var/lib/sunk-bridge stays root:root 755",
            "ok   serve: NoNewPrivs 1",
            "ok   serve: CapEff 0000000000000000",
            "ok   every file in /var/lib/sunk-bridge/server still owned by sunk-bridge",
            "ok   POST /scim/default/Users (alice) -> 201",
            "ok   without /etc/sunk-bridge/node-token the sync is skipped, not failed",
            "ok   systemctl start sunk-bridge-sync.service",
            "ok   /var/lib/extrausers/passwd has alice",
            "ok   sunk-authorized-keys alice 1000000 (as sunk-bridge-keys) serves the key",
            "ok   sunk-bridge-sync.timer active/waiting, next elapse set",
            "ok   systemctl start sunk-bridge-watch.service",
            "ok   status: watch: waiting at serial ",
            "ok   the watcher locked alice within",                 // a PATCH reaches the node, no timer
            "ok   sunk-bridge-watch.service still running, never restarted",
            "ok   sunk-bridge-watch.service stopped cleanly",
            "ok   sunk-bridge.service stopped in",                   // SIGTERM -> exit 0
            "ok   no failed unit in the container",
            "ok   no 'Failed to set thread priority' noise",
            "ok   host untouched",
        ] {
            #expect(r.lines.contains { $0.hasPrefix(expected) }, "missing line: \(expected)")
        }
        #expect(!r.lines.contains { $0.hasPrefix("FAIL ") }, "\(r.lines.filter { $0.hasPrefix("FAIL ") })")
    }

    @Test("build-deb.sh refuses executables that need the Swift runtime (nodes have none)")
    func refusesDynamicSwift() async throws {
        let dir = NSTemporaryDirectory() + "/sunk-bridge-deb-dyn-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // This test binary is a dynamic Swift executable: a stand-in for a non-static build.
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        try FileManager.default.copyItem(atPath: me, toPath: dir + "/sunk-bridge")
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: dir + "/sunk-authorized-keys")
        var env = ProcessInfo.processInfo.environment
        env["ALLOW_DYNAMIC_SWIFT"] = nil
        let r = try await run("/bin/bash", [Self.repository() + "/packaging/deb/build-deb.sh", dir, "1.0", dir + "/out"],
                                        environment: env, error: .separate)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("needs Swift runtime libraries") && r.stderr.contains("libswiftCore"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/sunk-bridge_1.0_amd64.deb"))
    }
}

struct PackageTestError: Error, CustomStringConvertible {
    var description: String
}
