// `sunk-bridge sync --sudo-group` as the real binary (flags and `node.sudoGroups` in the
// configuration file) into a scratch --root: the file's mode, owner and contents, `visudo -cf`, the
// warnings, `status`, removal, and refused names.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite("sync --sudo-group: the real binary", .serialized)
struct SudoSyncBinaryTests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var all: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    /// Runs `sunk-bridge ARGS` with only PATH and HOME from this environment.
    static func bridge(_ args: [String]) async throws -> Output {
        let r = try await run(try Binaries.sunkBridge(), args,
                              environment: ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                            "HOME": NSTemporaryDirectory()],
                              error: .separate)
        return Output(status: r.status, stdout: r.output, stderr: r.error)
    }

    /// A scratch root with a snapshot file and an empty configuration file; returns (root, snapshot, config).
    static func prepare() throws -> (String, String, String) {
        let root = try SudoFixture.makeRoot()
        let snapshot = try Fixture.writeSnapshot(SnapshotDocument.make(body: SudoFixture.body()).encoded(), root: root)
        let config = root + "/in/config.yaml"
        try "".write(toFile: config, atomically: false, encoding: .utf8)
        return (root, snapshot, config)
    }

    @Test("flags: --sudo-group with --sudo-nopasswd writes a 0440 root file visudo accepts; status shows it; no flag removes it")
    func flags() async throws {
        let (root, snapshot, config) = try Self.prepare()
        defer { Fixture.remove(root) }
        let file = SudoFixture.sudoersFile(root)
        let base = ["sync", "--snapshot", snapshot, "--root", root, "--config", config]

        let run = try await Self.bridge(base + ["--sudo-group", "hpc-admins", "--sudo-nopasswd"])
        #expect(run.status == 0, "\(run.all)")
        #expect(run.stdout.contains("sudo: /etc/sudoers.d/sunk-bridge grants %hpc-admins (NOPASSWD), written"), "\(run.all)")
        #expect(Fixture.read(file) == String(decoding: Sudoers.render(SudoRule(groups: ["hpc-admins"], noPassword: true)),
                                             as: UTF8.self))
        #expect(Fixture.read(file).contains("\n%hpc-admins ALL=(ALL:ALL) NOPASSWD: ALL\n"))
        #expect(Fixture.mode(file) == 0o440)
        if geteuid() == 0 { #expect(SudoFixture.owner(file).map { $0.uid == 0 && $0.gid == 0 } == true) }
        let (visudo, output) = try await SudoFixture.visudoCheck(file)
        #expect(visudo == 0, "\(output)")

        let status = try await Self.bridge(["status", "--root", root])
        #expect(status.status == 0, "\(status.all)")
        #expect(status.stdout.contains("sudo: /etc/sudoers.d/sunk-bridge grants %hpc-admins (NOPASSWD)"), "\(status.all)")

        let removed = try await Self.bridge(base)
        #expect(removed.status == 0, "\(removed.all)")
        #expect(!FileManager.default.fileExists(atPath: file))
        let after = try await Self.bridge(["status", "--root", root])
        #expect(after.stdout.contains("sudo: /etc/sudoers.d/sunk-bridge removed (no sudo group configured)"), "\(after.all)")
    }

    @Test("configuration: node.sudoGroups and node.sudoNoPassword; a group the snapshot lacks is written with a warning")
    func configuration() async throws {
        let (root, snapshot, config) = try Self.prepare()
        defer { Fixture.remove(root) }
        let file = SudoFixture.sudoersFile(root)
        try "node:\n  sudoGroups: [hpc-admins, ops]\n  sudoNoPassword: false\n"
            .write(toFile: config, atomically: false, encoding: .utf8)
        let run = try await Self.bridge(["sync", "--snapshot", snapshot, "--root", root, "--config", config])
        #expect(run.status == 0, "\(run.all)")
        #expect(Fixture.read(file).hasSuffix("\n%hpc-admins ALL=(ALL:ALL) ALL\n%ops ALL=(ALL:ALL) ALL\n"), "\(Fixture.read(file))")
        #expect(run.stderr.contains("warning: sudo group ops is not in the group file"), "\(run.all)")
        let check = try await SudoFixture.visudoCheck(file)
        #expect(check.0 == 0)

        // Flags win over the file.
        let flag = try await Self.bridge(["sync", "--snapshot", snapshot, "--root", root, "--config", config,
                                          "--sudo-group", "hpc-admins", "--sudo-nopasswd"])
        #expect(flag.status == 0, "\(flag.all)")
        #expect(Fixture.read(file).hasSuffix("\n%hpc-admins ALL=(ALL:ALL) NOPASSWD: ALL\n"), "\(Fixture.read(file))")

        // An empty list removes the file.
        try "node:\n  sudoGroups: []\n".write(toFile: config, atomically: false, encoding: .utf8)
        let none = try await Self.bridge(["sync", "--snapshot", snapshot, "--root", root, "--config", config])
        #expect(none.status == 0, "\(none.all)")
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test("refused names: a system group or a non-POSIX name, by flag or in the file; nothing is written",
          arguments: [
            (["--sudo-group", "wheel"], "", "--sudo-group: \"wheel\" is a system group"),
            (["--sudo-group", "sudo"], "", "--sudo-group: \"sudo\" is a system group"),
            (["--sudo-group", "hpc admins"], "", "--sudo-group: \"hpc admins\" is not a POSIX group name"),
            (["--sudo-group", "ALL"], "", "is not a POSIX group name"),
            ([], "node:\n  sudoGroups: [admin]\n", "node.sudoGroups: \"admin\" is a system group"),
            ([], "node:\n  sudoGroups: [\"%ops\"]\n", "node.sudoGroups: \"%ops\" is not a POSIX group name"),
            ([], "node:\n  sudoGroups: ops\n", "node.sudoGroups: must be a list"),
            ([], "node:\n  sudoNoPassword: maybe\n", "node.sudoNoPassword: \"maybe\" is not true or false"),
          ])
    func refused(flags: [String], yaml: String, expected: String) async throws {
        let (root, snapshot, config) = try Self.prepare()
        defer { Fixture.remove(root) }
        try yaml.write(toFile: config, atomically: false, encoding: .utf8)
        let run = try await Self.bridge(["sync", "--snapshot", snapshot, "--root", root, "--config", config] + flags)
        #expect(run.status != 0, "\(run.all)")
        #expect(run.stderr.contains(expected), "\(run.all)")
        #expect(SudoFixture.directoryNames(root).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root + "/var/lib/sunk-bridge/current"), "no sync ran")
    }
}
