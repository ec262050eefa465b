// slurm.* keys of /etc/sunk-bridge/config.yaml through the real binary: `config check` accepts a
// good section and names the key of each bad one; `slurm sync --dry-run` takes its rules from the file.
import Foundation
import SunkSnapshot
import SunkModel
import Testing
import TestSupport

@Suite("slurm sync: configuration keys", .tags(.e2e))
struct SlurmConfigTests {
    static func bridge(_ args: [String]) async throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env["SUNK_BRIDGE_CONFIG"] = nil
        return try await run(try Binaries.sunkBridge(), args, environment: env)
    }

    static func file(_ yaml: String) throws -> String {
        let dir = NSTemporaryDirectory() + "/slurm-config-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/config.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Removes the temporary directory of a file made by `file`.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    @Test("a complete slurm section passes config check")
    func valid() async throws {
        let path = try Self.file("""
            slurm:
              accounts:
                groupPrefix: slurm-
                map: {hpc-research-eu: research}
                parent: root
                defaultAccount: everyone
              onRemove: delete
              cancelJobs: false
              cluster: sunk
              maxDeletePercent: 20
            """)
        defer { Self.remove(path) }
        let r = try await Self.bridge(["config", "check", "--config", path])
        #expect(r.status == 0, "\(r.output)")
    }

    @Test("each bad slurm key is named", arguments: [
        ("slurm:\n  onRemove: purge\n", "slurm.onRemove: \"purge\" must be block or delete"),
        ("slurm:\n  maxDeletePercent: 101\n", "slurm.maxDeletePercent: 101 must be between 0 and 100"),
        ("slurm:\n  accounts:\n    map: {hpc: \"Research Team\"}\n", "slurm.accounts: --map-account hpc=Research Team: account name"),
        ("slurm:\n  accounts:\n    groupPrefix: \"a b\"\n", "slurm.accounts: --account-group-prefix \"a b\""),
        ("slurm:\n  acounts: {}\n", "slurm.acounts: unknown key"),
    ])
    func invalid(yaml: String, expected: String) async throws {
        let path = try Self.file(yaml)
        defer { Self.remove(path) }
        let r = try await Self.bridge(["config", "check", "--config", path])
        #expect(r.status == 1, "\(r.output)")
        #expect(r.output.contains(expected), "\(r.output)")
    }

    @Test("slurm sync takes its rules from the file and refuses to run without any")
    func rulesFromFile() async throws {
        let user = SnapshotUser(id: "1", userName: "ada@example.org", name: "ada", uid: 1_000_001, gid: 1_000_001,
                                gecos: "", home: "/home/ada", shell: "/bin/bash", keys: [], active: true)
        let body = SnapshotBody(org: "default", serial: 3, publishedAt: Date(timeIntervalSince1970: 1_800_000_000),
                                policy: .default, users: [user],
                                groups: [SnapshotGroup(id: "g", displayName: "slurm-physics", name: "slurm-physics",
                                                       gid: 2_000_001, members: ["ada"])], skipped: [])
        let config = try Self.file("slurm:\n  accounts:\n    groupPrefix: slurm-\n")
        let other = try Self.file("node: {}\n")
        defer { Self.remove(config); Self.remove(other) }
        let snapshot = URL(fileURLWithPath: config).deletingLastPathComponent().path + "/snapshot.json"
        try SnapshotDocument.make(body: body).encoded().write(to: URL(fileURLWithPath: snapshot))
        // A stand-in sacctmgr answering the three queries with an empty accounting database.
        let fake = URL(fileURLWithPath: config).deletingLastPathComponent().path + "/sacctmgr"
        try "#!/bin/sh\ncase \"$*\" in *'show account'*) echo 'root|default root account|root';; esac\nexit 0\n"
            .write(toFile: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let r = try await Self.bridge(["slurm", "sync", "--config", config, "--snapshot", snapshot, "--sacctmgr", fake, "--dry-run"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("sacctmgr -i add account physics Parent=root 'Description=sunk-bridge: managed' Organization=sunk-bridge"), "\(r.output)")
        #expect(r.output.contains("sacctmgr -i add user ada Account=physics DefaultAccount=physics"), "\(r.output)")
        let none = try await Self.bridge(["slurm", "sync", "--config", other, "--snapshot", snapshot, "--sacctmgr", fake])
        #expect(none.status != 0)
        #expect(none.output.contains("no account rule"), "\(none.output)")
    }
}
