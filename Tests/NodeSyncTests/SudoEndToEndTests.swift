// The real sudo deciding on the files `sync --sudo-group` wrote: users and groups from the synced
// extrausers files, /etc/sudoers.d/sunk-bridge from the node's rule, inside a private mount and PID
// namespace (Tests/e2e/sudo/sudo_check.sh; the host's /etc is never modified). A member gets root
// without a password, a non-member and a locked member are refused, and once the node stops naming
// the group (the snapshot still has it) the member is refused too. Needs root, sudo and
// libnss-extrausers; fails, never skips.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite("sudo end to end (real sudo, private namespace)", .serialized)
struct SudoEndToEndTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../e2e/sudo/sudo_check.sh").standardizedFileURL.path
    static let adminGID: UInt32 = 2_000_081

    /// ada and cleo in hpc-admins; bob in the snapshot's own `sudo` and `wheel` groups (a hostile
    /// snapshot: its policy reserves nothing); ada locked when `adaLocked`.
    static func body(adaLocked: Bool, serial: Int64) -> SnapshotBody {
        var policy = Policy.default
        policy.reservedGroupNames = []
        return Fixture.body(
            users: [Fixture.user("ada", uid: 1_000_081, active: !adaLocked), Fixture.user("bob", uid: 1_000_082),
                    Fixture.user("cleo", uid: 1_000_083)],
            groups: [Fixture.group("hpc-admins", gid: adminGID, members: ["ada", "cleo"]),
                     Fixture.group("sudo", gid: 2_000_082, members: ["bob"]),
                     Fixture.group("wheel", gid: 2_000_083, members: ["bob"])],
            policy: policy, serial: serial)
    }

    /// `setpriv` to NAME with the groups NSS gives it (as a fresh login), running `command`.
    static func asUser(_ name: String, uid: UInt32, _ command: String) -> String {
        "setpriv --reuid=\(uid) --regid=\(uid) --init-groups \(command)"
    }

    /// Runs sudo_check.sh over `root` with `checks`; returns its output after requiring that every
    /// check passed.
    static func check(_ root: String, _ checks: [(String, String)], label: String) async throws {
        let file = root + "/in/checks-\(label).tsv"
        try checks.map { "\($0.0)\t\($0.1)\n" }.joined().write(toFile: file, atomically: false, encoding: .utf8)
        let script = Self.script
        let result = try await run("/bin/bash", [script, root, file])
        let (status, output) = (result.status, result.output)
        if status == 3 { Issue.record("[\(label)] missing package: \(output) — apt-get install sudo libnss-extrausers") }
        #expect(status == 0, "[\(label)] sudo_check.sh exited \(status):\n\(output)")
        let passed = output.split(separator: "\n").filter { $0.hasPrefix("ok   ") && !$0.contains("host /etc") }.count
        #expect(passed == checks.count, "[\(label)] \(passed) of \(checks.count) checks passed:\n\(output)")
        #expect(output.hasSuffix("ALL CHECKS PASSED\n"), "[\(label)]\n\(output)")
    }

    @Test("member: sudo -n works; non-member and locked member refused; node stops naming the group: member refused")
    func realSudo() async throws {
        try #require(geteuid() == 0, "needs root (unshare --mount --pid, bind mounts over /etc, setpriv); run the tests as root")
        for path in ["/usr/bin/sudo", "/usr/sbin/visudo", "/usr/bin/unshare", "/usr/bin/setpriv",
                     "/usr/lib/libnss_extrausers.so.2", "/etc/pam.d/sudo"] {
            try #require(FileManager.default.fileExists(atPath: path),
                         "\(path) missing: apt-get install sudo libnss-extrausers util-linux (scripts/install-deps.sh)")
        }
        let root = try SudoFixture.makeRoot()
        defer { Fixture.remove(root) }
        // The host's local accounts are the floor (its /etc/group has `sudo`, so the snapshot's is skipped).
        try makeNodeRoot(root)
        let hostSudoers = FileManager.default.contents(atPath: "/etc/sudoers")
        let hostDropIns = try FileManager.default.contentsOfDirectory(atPath: "/etc/sudoers.d").sorted()
        let rule = SudoRule(groups: ["hpc-admins"], noPassword: true)
        let ada = (name: "ada", uid: UInt32(1_000_081))
        let bob = (name: "bob", uid: UInt32(1_000_082))
        let cleo = (name: "cleo", uid: UInt32(1_000_083))

        // 1. The node names hpc-admins: ada and cleo get root; bob, whom the snapshot puts in `sudo` and
        //    `wheel`, is in neither: the node never takes reserved system group names from a snapshot.
        let first = try await SudoFixture.sync(root, Self.body(adaLocked: false, serial: 1), rule)
        #expect(first.sudoers?.action == .written)
        #expect(first.plan.skipped.contains { $0.name == "sudo" }, "\(first.plan.skipped)")
        #expect(first.plan.skipped.contains { $0.name == "wheel" && $0.reason.contains("reserved system group name") },
                "\(first.plan.skipped)")
        try await Self.check(root, [
            ("^uid=1000081\\(ada\\) .*2000081\\(hpc-admins\\)", "id ada"),
            ("^0$", Self.asUser("ada", uid: ada.uid, "sudo -n id -u")),
            ("^0$", Self.asUser("cleo", uid: cleo.uid, "sudo -n id -u")),
            ("!a password is required", Self.asUser("bob", uid: bob.uid, "sudo -n true")),
            ("User bob is not allowed to run sudo", "sudo -l -U bob"),
            ("\\(ALL : ALL\\) NOPASSWD: ALL", "sudo -l -U ada"),
            ("^uid=1000082\\(bob\\) gid=1000082\\(bob\\) groups=1000082\\(bob\\)$", "id bob"),
        ], label: "named")

        // 2. ada is deactivated in the IdP: locked, in no supplementary group, no sudo. cleo keeps it.
        let locked = try await SudoFixture.sync(root, Self.body(adaLocked: true, serial: 2), rule)
        #expect(locked.sudoers?.action == .unchanged, "the rule did not change, only the group file")
        try await Self.check(root, [
            ("^uid=1000081\\(ada\\) gid=1000081\\(ada\\) groups=1000081\\(ada\\)$", "id ada"),
            ("!a password is required|expired|not allowed", Self.asUser("ada", uid: ada.uid, "sudo -n true")),
            ("User ada is not allowed to run sudo", "sudo -l -U ada"),
            ("^0$", Self.asUser("cleo", uid: cleo.uid, "sudo -n id -u")),
            // A session opened before the lock still carries the group in its credentials, but
            // pam_unix's account check (shadow: expired on day 1) refuses sudo all the same.
            ("!account validation failure", "setpriv --reuid=\(ada.uid) --regid=\(ada.uid) --groups=\(Self.adminGID) sudo -n true"),
        ], label: "locked")

        // 3. The password form: the rule still matches ada, but sudo asks for a password she does not have.
        let password = try await SudoFixture.sync(root, Self.body(adaLocked: false, serial: 3),
                                                  SudoRule(groups: ["hpc-admins"], noPassword: false))
        #expect(password.sudoers?.action == .written)
        try await Self.check(root, [
            ("User ada may run the following commands.*\\(ALL : ALL\\) ALL", "sudo -l -U ada | tr '\\n' ' '"),
            ("!a password is required", Self.asUser("ada", uid: ada.uid, "sudo -n true")),
        ], label: "password")

        // 4. ada active again, but the node no longer names the group (the snapshot still has it):
        // the file is removed and nobody gets sudo from the group.
        let unnamed = try await SudoFixture.sync(root, Self.body(adaLocked: false, serial: 3), SudoRule())
        #expect(unnamed.sudoers?.action == .removed)
        #expect(Fixture.read(root + "/var/lib/extrausers/group").contains("hpc-admins:x:\(Self.adminGID):ada,cleo\n"))
        try await Self.check(root, [
            ("2000081\\(hpc-admins\\)", "id ada"),
            ("!a password is required", Self.asUser("ada", uid: ada.uid, "sudo -n true")),
            ("User ada is not allowed to run sudo", "sudo -l -U ada"),
            ("User cleo is not allowed to run sudo", "sudo -l -U cleo"),
        ], label: "unnamed")

        #expect(FileManager.default.contents(atPath: "/etc/sudoers") == hostSudoers, "host /etc/sudoers changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/etc/sudoers.d").sorted() == hostDropIns)
    }
}
