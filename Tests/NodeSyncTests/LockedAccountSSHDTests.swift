// "Lock means locked", end to end: the node files `sync` writes for a deactivated user, served to a
// real Debian sshd with `UsePAM yes` (the distribution's /etc/pam.d/sshd) and
// `AuthorizedKeysFile .ssh/authorized_keys`, plus a key the user planted in their own home.
// Needs root, openssh-server, libnss-extrausers; fails, never skips.
import AuthorizedKeys
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite("Locked accounts: real sshd with PAM", .serialized, .tags(.e2e, .root, .sshd), .timeLimit(.minutes(5)))
struct LockedAccountSSHDTests {
    static let uid: UInt32 = 1_000_041

    /// One run of Tests/e2e/sshd/run.sh over `root` with `cases`; returns its stdout (and requires
    /// that every case passed).
    static func runCases(_ cases: String, root: String, scratch: String, usePAM: Bool,
                         label: String) async throws -> String {
        let helper = try AKBinaries.helper()
        let script = try AKBinaries.sshdScript()
        let file = scratch + "/cases-\(label)"
        try cases.write(toFile: file, atomically: false, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env["USE_PAM"] = usePAM ? "1" : "0"
        env["AUTHORIZED_KEYS_FILE"] = ".ssh/authorized_keys"
        env["HOMES_DIR"] = scratch + "/home"
        let environment = env
        let (status, out, err) = try await AKBinaries.run("/bin/bash", [script, helper, root, file], environment: environment)
        let transcript = "[\(label)] exit \(status)\n--- stdout\n\(out)\n--- stderr\n\(err)"
        let expected = cases.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.count
        try #require(status == 0, "\(transcript)")
        #expect(out.split(separator: "\n").last.map(String.init) == "ALL \(expected) CHECKS PASSED", "\(transcript)")
        #expect(out.contains(usePAM ? "UsePAM yes" : "UsePAM no"), "\(transcript)")
        #expect(out.contains("AuthorizedKeysFile .ssh/authorized_keys"), "\(transcript)")
        return out
    }

    static func body(active: Bool, idpKey: String, serial: Int64) -> SnapshotBody {
        let ada = SnapshotUser(id: "id-ada", userName: "ada@example.com", name: "ada", uid: uid, gid: uid,
                               gecos: "Ada", home: "/home/ada", shell: "/bin/bash",
                               keys: active ? [idpKey] : [], active: active)
        let bob = SnapshotUser(id: "id-bob", userName: "bob@example.com", name: "bob", uid: uid + 1, gid: uid + 1,
                               gecos: "Bob", home: "/home/bob", shell: "/bin/bash", keys: [], active: true)
        return Fixture.body(users: [ada, bob],
                            groups: [Fixture.group("team", gid: 2_000_041, members: ["ada", "bob"])],
                            serial: serial)
    }

    @Test("deactivation locks: planted key and IdP key refused by sshd+PAM, su says expired; re-activation undoes it")
    func lockAndUnlock() async throws {
        try #require(getuid() == 0, "needs root (unshare --mount, bind mounts, sshd)")
        for path in ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen", "/usr/bin/unshare", "/usr/bin/su",
                     "/etc/pam.d/sshd", "/etc/pam.d/su", "/usr/lib/libnss_extrausers.so.2"] {
            try #require(FileManager.default.fileExists(atPath: path),
                         "\(path) missing: apt-get install openssh-server openssh-client libnss-extrausers")
        }
        let fm = FileManager.default
        let scratch = fm.temporaryDirectory.appendingPathComponent("sunk-lock-\(UUID().uuidString.prefix(8))").path
        defer { try? fm.removeItem(atPath: scratch) }
        try fm.createDirectory(atPath: scratch + "/keys", withIntermediateDirectories: true)
        chmod(scratch, 0o711)
        chmod(scratch + "/keys", 0o700)
        for k in ["idp", "planted"] {
            try await SSHKeys.generate(at: "\(scratch)/keys/id_\(k)", comment: "ada-\(k)")
        }
        let idpKey = try String(contentsOfFile: scratch + "/keys/id_idp.pub", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // ada's home (mounted over /home in the namespace) with a key she planted herself.
        let home = scratch + "/home/ada"
        try fm.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
        try fm.copyItem(atPath: scratch + "/keys/id_planted.pub", toPath: home + "/.ssh/authorized_keys")
        chmod(scratch + "/home", 0o755)
        for p in [home, home + "/.ssh", home + "/.ssh/authorized_keys"] { chown(p, Self.uid, Self.uid) }
        chmod(home, 0o700)
        chmod(home + "/.ssh", 0o700)
        chmod(home + "/.ssh/authorized_keys", 0o600)

        // The node root: the host's own local account files (the floor sees the real accounts).
        let root = scratch + "/root"
        try makeNodeRoot(root)
        for d in ["", "/etc"] { chmod(root + d, 0o755) }
        func sync(_ body: SnapshotBody) async throws -> SyncReport {
            let path = try Fixture.writeSnapshot(SnapshotDocument.make(body: body).encoded(), root: root)
            return try await Fixture.sync(root, snapshot: path)
        }
        let eu = root + "/var/lib/extrausers"
        let k = scratch + "/keys"
        let shadowLine = "getent shadow ada | grep -qx"

        // 1. Active: both keys work (the IdP's through the helper, the planted one through the file).
        let first = try await sync(Self.body(active: true, idpKey: idpKey, serial: 1))
        #expect(first.plan.users.count == 2, "\(first.plan.skipped)")
        #expect(Fixture.read(eu + "/shadow").contains("ada:*:::::::\n"))
        let before = try await Self.runCases("""
            ok   ada \(k)/id_idp     IdP key through sunk-authorized-keys
            ok   ada \(k)/id_planted key planted in ~/.ssh/authorized_keys
            run  ok  \(shadowLine) 'ada:\\*:::::::'
            run  ok  id -Gn ada | grep -qw team
            run  ok  su - ada -c true
            """, root: root, scratch: scratch, usePAM: true, label: "active")
        #expect(before.contains("Accepted publickey for ada"), "\(before)")

        // 2. Deactivated (policy lock): `!` password, expired on day 1, nologin, no keys, no team.
        let locked = try await sync(Self.body(active: false, idpKey: idpKey, serial: 2))
        #expect(locked.plan.lockedUsers == 1)
        let shadow = Fixture.read(eu + "/shadow")
        #expect(shadow.contains("ada:!*::::::1:\n"), "\(shadow)")
        let fields = shadow.split(separator: "\n").first { $0.hasPrefix("ada:") }?
            .split(separator: ":", omittingEmptySubsequences: false) ?? []
        #expect(fields.count == 9 && fields[1].hasPrefix("!") && fields[7] == "1", "\(fields)")
        #expect(Fixture.read(eu + "/passwd").contains("ada:x:\(Self.uid):\(Self.uid):Ada:/home/ada:/usr/sbin/nologin\n"))
        #expect(Fixture.read(eu + "/group").contains("team:x:2000041:bob\n"))
        #expect(Fixture.read(root + "/var/lib/sunk-bridge/keys.cache").contains("\nada:\(Self.uid):\n"))
        let after = try await Self.runCases("""
            fail ada \(k)/id_planted planted key, locked (UsePAM yes: pam_unix account expiry)
            fail ada \(k)/id_idp     IdP key, locked
            run  ok  \(shadowLine) 'ada:!\\*::::::1:'
            run  fail id -Gn ada | grep -qw team
            run  ok  id -Gn ada | grep -qx ada
            run  ok  su - ada -c true 2>&1 | grep -q 'Your account has expired'
            run  fail su - ada -s /bin/sh -c true
            """, root: root, scratch: scratch, usePAM: true, label: "locked-pam")
        #expect(after.contains("Access denied for user ada by PAM account configuration"), "\(after)")
        #expect(!after.contains("Accepted publickey for ada"), "\(after)")
        // The same files without PAM: sshd's own checks (`!` password, expiry) refuse too.
        let noPAM = try await Self.runCases("""
            fail ada \(k)/id_planted planted key, locked (UsePAM no: sshd's own shadow checks)
            """, root: root, scratch: scratch, usePAM: false, label: "locked-nopam")
        #expect(noPAM.contains("account is locked") || noPAM.contains("has expired"), "\(noPAM)")
        #expect(!noPAM.contains("Accepted publickey for ada"), "\(noPAM)")

        // 3. Re-activated: everything back, the IdP key logs in again.
        let again = try await sync(Self.body(active: true, idpKey: idpKey, serial: 3))
        #expect(again.plan.lockedUsers == 0)
        #expect(Fixture.read(eu + "/shadow").contains("ada:*:::::::\n"))
        #expect(Fixture.read(eu + "/group").contains("team:x:2000041:ada,bob\n"))
        let restored = try await Self.runCases("""
            ok   ada \(k)/id_idp     IdP key again after re-activation
            run  ok  \(shadowLine) 'ada:\\*:::::::'
            run  ok  id -Gn ada | grep -qw team
            run  ok  su - ada -c true
            """, root: root, scratch: scratch, usePAM: true, label: "reactivated")
        #expect(restored.contains("Accepted publickey for ada"), "\(restored)")
    }

    @Test("--terminate-sessions: the locked user's open SSH session ends when the lock is applied, and a new login is refused")
    func openSessionEnds() async throws {
        try #require(getuid() == 0, "needs root (unshare --mount, bind mounts, sshd, signals)")
        let login = try await LoginScratch("session", user: "ada", uid: Self.uid, key: "idp")
        defer { login.remove() }
        let (scratch, idpKey, root) = (login.directory, login.publicKey, login.root)
        let active = try Fixture.writeSnapshot(SnapshotDocument.make(body: Self.body(active: true, idpKey: idpKey, serial: 1)).encoded(),
                                               root: root, name: "active.json")
        let locked = try Fixture.writeSnapshot(SnapshotDocument.make(body: Self.body(active: false, idpKey: idpKey, serial: 2)).encoded(),
                                               root: root, name: "locked.json")
        _ = try await Fixture.sync(root, snapshot: active)
        let bridge = try Binaries.sunkBridge()
        let k = login.keys
        // UsePAM no: the session's processes are sshd's child as ada and the command it runs.
        let out = try await Self.runCases("""
            ok   ada \(k)/id_idp  login while active
            bg   ada \(k)/id_idp  a session left open (sleep 600)
            run  ok  \(bridge) sync --snapshot \(locked) --root \(root) --terminate-sessions --quiet
            bgend 5 the open session ends once the lock is committed
            fail ada \(k)/id_idp  a new login is refused (no keys for a locked user)
            run  ok  \(bridge) status --root \(root) | grep -q 'locked ada (uid \(Self.uid)), generation 2; sessions: SIGTERM to'
            """, root: root, scratch: scratch, usePAM: false, label: "terminate")
        #expect(out.contains("ok   bgend session ended"), "\(out)")
    }
}
