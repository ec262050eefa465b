// `doctor` (in-process) against login-node roots synced by the real sync, then broken one way at a
// time; sshd configuration read as text (no sshd needed).
import Foundation
import NodeSync
import SunkModel
import Testing
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite("doctor: nsswitch and NSS module")
struct DoctorNSSwitchTests {
    @Test("module before files, stale module of the other format, missing database: FAIL with the fix")
    func badNsswitch() async throws {
        let s = try await DoctorScratch()
        s.write("/etc/nsswitch.conf", "passwd: extrausers files\ngroup: files extrausers cache\n# shadow: files extrausers\n")
        let out = s.doctor()
        #expect(out.status == 1)
        #expect(out.has("FAIL nsswitch: ", "`passwd: extrausers files`", "comes before `files`"), "\(out.stdout)")
        #expect(out.has("FAIL nsswitch: ", "`group: files extrausers cache`", "stale cache module"), "\(out.stdout)")
        #expect(out.has("FAIL nsswitch: ", "no `shadow:` line"), "a commented line does not count:\n\(out.stdout)")
        #expect(out.has("  fix: ", "`passwd: files extrausers`"))
        #expect(out.has("  fix: ", "remove cache and its files"))
    }

    @Test("actions like [NOTFOUND=return] and other sources are fine; missing `files` is not")
    func actionsAndSources() async throws {
        let s = try await DoctorScratch()
        s.write("/etc/nsswitch.conf", """
            passwd:  files [NOTFOUND=continue] systemd extrausers sss
            group:   extrausers
            shadow:  files extrausers
            """)
        let out = s.doctor()
        #expect(out.has("ok nsswitch: ", "`passwd: files systemd extrausers sss`"), "\(out.stdout)")
        #expect(out.has("FAIL nsswitch: ", "`group: extrausers`", "no `files` source"), "\(out.stdout)")
        #expect(out.status == 1)
    }

    @Test("--nss-format cache wants `cache` and libnss_cache.so.2; extrausers is then stale")
    func cacheFormat() async throws {
        let s = try await DoctorScratch()
        var out = s.doctor(format: .cache)
        #expect(out.status == 1)
        #expect(out.has("FAIL nsswitch: ", "cache missing (--nss-format cache)", "stale extrausers"), "\(out.stdout)")
        #expect(out.has("FAIL nss-module: ", "libnss_cache.so.2 not found"), "\(out.stdout)")
        #expect(out.has("  fix: apt-get install libnss-cache"))

        s.write("/etc/nsswitch.conf", "passwd: files cache\ngroup: files cache\nshadow: files cache\n")
        s.write("/usr/lib/x86_64-linux-gnu/libnss_cache.so.2", "")
        out = s.doctor(format: .cache)
        #expect(out.has("FAIL node-files: ", "/etc/passwd.cache is missing"), "synced as extrausers:\n\(out.stdout)")
        try await s.sync(s.body(serial: 2), format: .cache)
        out = s.doctor(format: .cache)
        #expect(out.status == 0, "\(out.stdout)")
        #expect(out.has("ok nss-module: ", "libnss_cache.so.2 installed"))
    }

    @Test("without --nss-format the state file's format is used")
    func formatFromState() async throws {
        let s = try await DoctorScratch()
        try await s.sync(s.body(serial: 2), format: .cache)
        let out = s.doctor()
        #expect(out.status == 1)
        #expect(out.has("FAIL nsswitch: ", "cache missing (the format of the last sync)"), "\(out.stdout)")
    }

    @Test("the module is found in /lib, /usr/lib or a multiarch directory; absent: FAIL")
    func moduleLocations() async throws {
        let s = try await DoctorScratch()
        try FileManager.default.removeItem(atPath: s.root + "/usr/lib/x86_64-linux-gnu/libnss_extrausers.so.2")
        var out = s.doctor()
        #expect(out.has("FAIL nss-module: ", "libnss_extrausers.so.2 not found"), "\(out.stdout)")
        #expect(out.has("  fix: apt-get install libnss-extrausers"))
        s.write("/usr/lib/libnss_extrausers.so.2", "")   // where Debian's libnss-extrausers puts it
        out = s.doctor()
        #expect(out.has("ok nss-module: ", s.root + "/usr/lib/libnss_extrausers.so.2"), "\(out.stdout)")
        #expect(out.status == 0)
    }
}

@Suite("doctor: sshd configuration read as text")
struct DoctorSSHDTextTests {
    @Test("no AuthorizedKeysCommand, no user: FAIL pointing at the shipped snippet")
    func missing() async throws {
        let s = try await DoctorScratch()
        s.write("/etc/ssh/sshd_config", "PasswordAuthentication no\n#AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U\n")
        let out = s.doctor()
        #expect(out.status == 1)
        #expect(out.has("FAIL sshd-command: no AuthorizedKeysCommand"), "\(out.stdout)")
        #expect(out.has("  fix: ", "examples/sshd_config.d/sunk-bridge.conf"))
        #expect(out.has("FAIL sshd-command-user: no AuthorizedKeysCommandUser"), "\(out.stdout)")
    }

    @Test("relative path, no %U, root as command user: each FAIL")
    func wrongValues() async throws {
        let s = try await DoctorScratch()
        s.write("/etc/ssh/sshd_config", "AuthorizedKeysCommand sunk-authorized-keys %u %U\nAuthorizedKeysCommandUser root\n")
        var out = s.doctor()
        #expect(out.has("FAIL sshd-command: ", "not an absolute path"), "\(out.stdout)")
        #expect(out.has("FAIL sshd-command-user: AuthorizedKeysCommandUser is root"), "\(out.stdout)")
        s.write("/etc/ssh/sshd_config", "authorizedkeyscommand=/usr/libexec/sunk-bridge/sunk-authorized-keys %u\n"
                + "AuthorizedKeysCommandUser nobody-here\n")
        out = s.doctor()
        #expect(out.has("FAIL sshd-command: ", "does not pass `%u %U`"), "keyword=value form, any case:\n\(out.stdout)")
        #expect(out.has("WARN sshd-command-user: ", "nobody-here is not in"), "\(out.stdout)")
        #expect(out.status == 1)
    }

    @Test("the first value wins, as in sshd; Include is followed below the root")
    func firstValueAndInclude() async throws {
        let s = try await DoctorScratch()
        // Debian layout: the include comes first, so the drop-in's value wins over the later line.
        s.write("/etc/ssh/sshd_config", """
            Include /etc/ssh/sshd_config.d/*.conf
            AuthorizedKeysCommand /usr/bin/false %u %U
            AuthorizedKeysCommandUser root
            """)
        s.write("/etc/ssh/sshd_config.d/sunk-bridge.conf", """
            AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U
            AuthorizedKeysCommandUser sunk-bridge-keys
            """)
        var out = s.doctor()
        #expect(out.status == 0, "\(out.stdout)")
        #expect(out.has("ok sshd-command: ", "/usr/libexec/sunk-bridge/sunk-authorized-keys %u %U"), "\(out.stdout)")
        #expect(out.has("ok sshd-command-user: ", "sunk-bridge-keys"))

        // Without the include the earlier, wrong values are the effective ones.
        s.write("/etc/ssh/sshd_config", """
            AuthorizedKeysCommand /usr/bin/false %u %U
            Include sshd_config.d/*.conf
            """)
        out = s.doctor()
        #expect(out.has("WARN sshd-command: ", "runs /usr/bin/false, not the packaged helper"), "\(out.stdout)")
    }

    @Test("a command set only inside a Match block is not global: FAIL plus a note")
    func matchOnly() async throws {
        let s = try await DoctorScratch()
        s.write("/etc/ssh/sshd_config", """
            PidFile none
            Match Group hpc
                AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U
                AuthorizedKeysCommandUser sunk-bridge-keys
            """)
        let out = s.doctor()
        #expect(out.status == 1)
        #expect(out.has("WARN sshd-config: AuthorizedKeysCommand is also set inside a Match block"), "\(out.stdout)")
        #expect(out.has("FAIL sshd-command: no AuthorizedKeysCommand"), "\(out.stdout)")
    }

    @Test("unreadable --sshd-config: FAIL")
    func unreadable() async throws {
        let s = try await DoctorScratch()
        let out = s.doctor(sshdConfig: s.base + "/missing_config")
        #expect(out.status == 1)
        #expect(out.has("FAIL sshd-config: ", "missing_config cannot be read"), "\(out.stdout)")
    }
}

@Suite("doctor: helper, keys cache, state, homes, id ranges")
struct DoctorFilesTests {
    @Test("helper not root-owned, a group-writable parent, a missing helper: FAIL")
    func helper() async throws {
        let s = try await DoctorScratch()
        let helper = s.root + "/usr/libexec/sunk-bridge/sunk-authorized-keys"
        #expect(chown(helper, 65534, 65534) == 0)
        chmod(s.root + "/usr/libexec", 0o775)
        var out = s.doctor()
        #expect(out.status == 1)
        #expect(out.has("FAIL helper: ", "sunk-authorized-keys is owned by uid 65534, not root",
                        "directory \(s.root)/usr/libexec is writable by group or others (mode 0775)"), "\(out.stdout)")
        #expect(out.has("  fix: chown root:root"))
        try FileManager.default.removeItem(atPath: helper)
        out = s.doctor()
        #expect(out.has("FAIL helper: \(helper) is missing"), "\(out.stdout)")
    }

    @Test("the helper named in the configuration is the one checked")
    func configuredHelper() async throws {
        let s = try await DoctorScratch()
        try s.mkdirs("/opt/wrap")
        s.write("/opt/wrap/keys", "#!/bin/sh\n", mode: 0o757)
        s.write("/etc/ssh/sshd_config", "AuthorizedKeysCommand /opt/wrap/keys %u %U\nAuthorizedKeysCommandUser sunk-bridge-keys\n")
        let out = s.doctor()
        #expect(out.has("WARN sshd-command: ", "/opt/wrap/keys"), "\(out.stdout)")
        #expect(out.has("FAIL helper: \(s.root)/opt/wrap/keys is writable by group or others (mode 0757)"), "\(out.stdout)")
    }

    @Test("keys cache missing, or below a directory owned by the server's user: FAIL")
    func keysCache() async throws {
        let s = try await DoctorScratch()
        #expect(chown(s.root + "/var/lib/sunk-bridge", 1234, 1234) == 0)
        var out = s.doctor()
        #expect(out.has("FAIL keys-cache: ", "directory \(s.root)/var/lib/sunk-bridge is owned by uid 1234"), "\(out.stdout)")
        #expect(out.has("  fix: ", "/var/lib/sunk-bridge/server"))
        try FileManager.default.removeItem(atPath: s.root + "/var/lib/sunk-bridge/keys.cache")
        out = s.doctor()
        #expect(out.has("FAIL keys-cache: ", "keys.cache is missing"), "\(out.stdout)")
        #expect(out.status == 1)
    }

    @Test("generations: a synced node's links pass; a broken current, a foreign or dangling link, an unconverted file do not")
    func generations() async throws {
        let s = try await DoctorScratch()
        let sb = s.stateDirectory
        var out = s.doctor()
        #expect(out.status == 0, "\(out.stdout)")
        #expect(out.has("ok node-files: ", "current → generations/1", "all 6 node files"), "\(out.stdout)")
        #expect(out.has("ok keys-cache: ", "keys.cache (→ \(sb)/generations/1/keys.cache)"), "\(out.stdout)")
        #expect(out.has("ok sync-state: last successful sync "), "last-run.json is read:\n\(out.stdout)")

        // The resolved cache's directory is checked, not only the link's.
        chmod(sb + "/generations/1", 0o775)
        out = s.doctor()
        #expect(out.has("FAIL keys-cache: ", "directory \(sb)/generations/1 is writable by group or others"), "\(out.stdout)")
        chmod(sb + "/generations/1", 0o755)

        // An unconverted regular file: a warning; a foreign link or a dangling one: a failure.
        let passwd = s.root + "/var/lib/extrausers/passwd"
        let text = try String(contentsOfFile: passwd, encoding: .utf8)
        unlink(passwd)
        s.write("/var/lib/extrausers/passwd", text)
        out = s.doctor()
        #expect(out.has("WARN node-files: ", "not links into", passwd), "\(out.stdout)")
        unlink(passwd)
        symlink("/etc/passwd", passwd)
        out = s.doctor()
        #expect(out.has("FAIL node-files: ", "\(passwd) points at /etc/passwd, not ../sunk-bridge/current/passwd"), "\(out.stdout)")
        unlink(passwd)
        symlink("../sunk-bridge/current/passwd", passwd)
        unlink(sb + "/generations/1/shadow")
        out = s.doctor()
        #expect(out.has("FAIL node-files: ", "shadow → ../sunk-bridge/current/shadow is missing from generation 1"), "\(out.stdout)")
        unlink(sb + "/current")
        symlink("generations/9", sb + "/current")
        out = s.doctor()
        #expect(out.has("FAIL node-files: ", "does not point at an existing generation"), "\(out.stdout)")
        #expect(out.status == 1)
    }

    @Test("generations: regular files at the fixed paths (a node from before generations) are fine until the next sync")
    func layoutBeforeGenerations() async throws {
        let s = try await DoctorScratch(synced: false)
        try s.mkdirs("/var/lib/extrausers")
        for file in ["/var/lib/extrausers/passwd", "/var/lib/extrausers/group", "/var/lib/extrausers/shadow",
                     "/var/lib/sunk-bridge/keys.cache"] {
            s.write(file, "")
        }
        var out = s.doctor()
        #expect(out.has("ok node-files: ", "4 node files are regular files", "the next `sunk-bridge sync` converts them"),
                "\(out.stdout)")
        let report = try await s.sync()
        #expect(report.generation == "2", "the old files are captured as generation 1")
        out = s.doctor()
        #expect(out.has("ok node-files: ", "current → generations/2"), "\(out.stdout)")
    }

    @Test("state as the real sync leaves it: never synced, stale, a failed attempt after a success, never succeeded, garbage")
    func state() async throws {
        let fresh = try await DoctorScratch(synced: false)
        var out = fresh.doctor()
        #expect(out.has("FAIL sync-state: ", "state.json is missing: this node never synced"), "\(out.stdout)")

        let s = try await DoctorScratch(synced: false)
        try await s.sync(now: Date().addingTimeInterval(-7200))
        out = s.doctor(maxAge: 600)
        #expect(out.has("FAIL sync-state: last successful sync ", "older than --max-age 600"), "\(out.stdout)")
        out = s.doctor(maxAge: 86400)
        #expect(out.has("ok sync-state: last successful sync "), "the same age within a larger --max-age:\n\(out.stdout)")
        #expect(out.status == 0, "\(out.stdout)")

        // A failed run after the success: recorded in last-run.json beside the last success.
        await #expect(throws: SyncError.self) { try await s.sync(snapshot: s.base + "/gone.json") }
        out = s.doctor(maxAge: 86400)
        #expect(out.has("WARN sync-state: the latest sync attempt failed: ", "gone.json"), "\(out.stdout)")
        #expect(out.has("ok sync-state: last successful sync "), "\(out.stdout)")
        #expect(out.status == 0, "a warning alone does not fail:\n\(out.stdout)")

        // Only failed runs: there is a last run but never a success.
        await #expect(throws: SyncError.self) { try await fresh.sync(snapshot: fresh.base + "/gone.json") }
        out = fresh.doctor()
        #expect(out.has("FAIL sync-state: ", "has no lastSuccess"), "\(out.stdout)")
        #expect(out.has("WARN sync-state: the latest sync attempt failed: "), "\(out.stdout)")

        // A damaged last-run.json: sync's own reader refuses it, and doctor says so.
        s.write("/var/lib/sunk-bridge/last-run.json", "{ not json")
        out = s.doctor()
        #expect(out.has("FAIL sync-state: ", "last-run.json", "unreadable"), "\(out.stdout)")
        #expect(out.status == 1)
    }

    @Test("home prefix: world-writable or missing FAIL; the node's prefixes are the ones checked")
    func homes() async throws {
        let s = try await DoctorScratch()
        chmod(s.root + "/home", 0o1777)
        var out = s.doctor()
        #expect(out.has("FAIL home-prefix: \(s.root)/home is writable by group or others (mode 1777)"), "\(out.stdout)")
        chmod(s.root + "/home", 0o755)
        try await s.sync(s.body(serial: 2), homePrefixes: ["/home", "/shared/home"])
        out = s.doctor()
        #expect(out.has("ok home-prefix: \(s.root)/home exists"), "\(out.stdout)")
        #expect(out.has("FAIL home-prefix: \(s.root)/shared/home is missing"), "\(out.stdout)")
        #expect(out.status == 1)
    }

    @Test("home prefix: the node's own prefixes recorded by sync are checked, not the snapshot policy's")
    func nodeHomePrefixes() async throws {
        let s = try await DoctorScratch()
        var policy = Policy.default
        policy.homePrefixes = ["/home", "/shared/home"]
        try await s.sync(s.body(policy: policy, serial: 2), homePrefixes: ["/home", "/data"])
        let out = s.doctor()
        #expect(out.has("ok home-prefix: \(s.root)/home exists"), "\(out.stdout)")
        #expect(out.has("FAIL home-prefix: \(s.root)/data is missing"), "\(out.stdout)")
        #expect(!out.stdout.contains("/shared/home"), "\(out.stdout)")
    }

    @Test("subuid/subgid overlapping the allocated or accepted ranges: WARN, exit still 0")
    func idRanges() async throws {
        let s = try await DoctorScratch()
        s.write("/etc/subuid", "# comment\nbob:1500000:65536\nalice:100000:65536\n")
        s.write("/etc/subgid", "bob:3000000000:65536\n")
        var out = s.doctor()
        #expect(out.status == 0, "warnings only:\n\(out.stdout)")
        #expect(out.has("WARN id-ranges: ", "bob:1500000–1565535", "allocated uid range 1000000–1999999",
                        "the policy of org default in the last applied snapshot (serial 1)"), "\(out.stdout)")
        #expect(out.has("WARN id-ranges: ", "alice:100000–165535", "uid range 10000–2147483647 an IdP may send"),
                "\(out.stdout)")
        #expect(out.has("ok id-ranges: ", "subgid does not overlap"), "\(out.stdout)")

        // The org's own ranges, as the real sync keeps them (the signed snapshot it applied), not the
        // defaults: doctor once reported the default range for every org.
        var policy = Policy.default
        policy.userIDRange = IDRange(lower: 5_000_000, upper: 5_999_999)
        policy.allocatedUserIDRange = IDRange(lower: 5_000_000, upper: 5_099_999)
        let org = try await DoctorScratch(synced: false)
        try await org.sync(org.body(policy: policy, serial: 3, firstUID: 5_000_000))
        out = org.doctor()
        #expect(out.has("ok id-ranges: ", "subuid does not overlap the uid ranges 5000000–5099999 / 5000000–5999999"),
                "\(out.stdout)")
        org.write("/etc/subuid", "carol:5050000:1000\n")
        out = org.doctor()
        #expect(out.has("WARN id-ranges: ", "carol:5050000–5050999", "the policy of org default in the last applied snapshot (serial 3)"),
                "\(out.stdout)")
    }

}
