import Testing
import TestSupport
import Foundation
import AuthorizedKeys

@Suite("AuthorizedKeys: real sshd end-to-end", .serialized, .tags(.e2e, .root, .sshd), .timeLimit(.minutes(5)))
struct AuthorizedKeysSSHDTests {

    @Test("real sshd on 127.0.0.1: right key in, wrong key out, keyless user out, uid mismatch out")
    func sshdLogins() async throws {
        try #require(getuid() == 0, "the sshd end-to-end test needs root (unshare --mount, bind mounts, sshd)")
        for (path, package) in [("/usr/sbin/sshd", "openssh-server"), ("/usr/bin/ssh", "openssh-client"),
                                ("/usr/bin/ssh-keygen", "openssh-client"), ("/usr/bin/unshare", "util-linux")] {
            try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) missing: apt-get install \(package)")
        }
        let nss = ["/usr/lib/libnss_extrausers.so.2", "/usr/lib/x86_64-linux-gnu/libnss_extrausers.so.2",
                   "/usr/lib/aarch64-linux-gnu/libnss_extrausers.so.2"]
        try #require(nss.contains { FileManager.default.fileExists(atPath: $0) },
                     "libnss_extrausers.so.2 missing: apt-get install libnss-extrausers")
        let helper = try AKBinaries.helper()
        let script = try AKBinaries.sshdScript()

        // Node root and client keys in a scratch directory (the script bind-mounts them).
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sunk-sshd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let root = scratch + "/root"
        let fm = FileManager.default
        for d in ["/var/lib/extrausers", "/var/lib/sunk-bridge", "/etc"] {
            try fm.createDirectory(atPath: root + d, withIntermediateDirectories: true)
        }
        for d in ["", "/var", "/var/lib", "/var/lib/extrausers", "/var/lib/sunk-bridge", "/etc"] { chmod(root + d, 0o755) }
        try fm.createDirectory(atPath: scratch + "/keys", withIntermediateDirectories: true)
        chmod(scratch + "/keys", 0o700)
        var pub: [String: String] = [:]
        for k in ["alice", "wrong", "bob", "mallory", "dupuser"] {
            pub[k] = try await SSHKeys.generate(at: "\(scratch)/keys/id_\(k)", comment: "\(k)@e2e")
        }

        // extrausers: what sync would write. dupuser also exists as a LOCAL account (etc/passwd,
        // uid 70020): NSS (files first) gives sshd uid 70020, the cache says 1000004.
        let users: [(String, UInt32)] = [("alice", 1_000_001), ("bob", 1_000_002), ("mallory", 1_000_003),
                                         ("dupuser", 1_000_004), ("carol", 1_000_005)]
        try users.map { "\($0.0):x:\($0.1):\($0.1):e2e \($0.0):/:/bin/sh\n" }.joined()
            .write(toFile: root + "/var/lib/extrausers/passwd", atomically: false, encoding: .utf8)
        try users.map { "\($0.0):x:\($0.1):\n" }.joined()
            .write(toFile: root + "/var/lib/extrausers/group", atomically: false, encoding: .utf8)
        try users.map { "\($0.0):*::0:99999:7:::\n" }.joined()
            .write(toFile: root + "/var/lib/extrausers/shadow", atomically: false, encoding: .utf8)
        let hostPasswd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        try (hostPasswd + (hostPasswd.hasSuffix("\n") ? "" : "\n") + "dupuser:x:70020:70020:local account:/:/bin/sh\n")
            .write(toFile: root + "/etc/passwd", atomically: false, encoding: .utf8)
        chmod(root + "/etc/passwd", 0o644)

        // The keys cache as sync lays it out: keys.cache -> current/keys.cache -> generations/1/keys.cache.
        let generation = root + "/var/lib/sunk-bridge/generations/1"
        try fm.createDirectory(atPath: generation, withIntermediateDirectories: true)
        chmod(root + "/var/lib/sunk-bridge/generations", 0o755)
        chmod(generation, 0o755)
        #expect(symlink("generations/1", root + "/var/lib/sunk-bridge/current") == 0)
        #expect(symlink("current/keys.cache", KeysCache.path(root: root)) == 0)
        try KeysCacheWriter.write(entries: [
            KeysCacheEntry(name: "alice", uid: 1_000_001, keys: [pub["alice"]!]),
            KeysCacheEntry(name: "bob", uid: 1_000_002, keys: []),                      // no keys
            KeysCacheEntry(name: "mallory", uid: 1_000_033, keys: [pub["mallory"]!]),   // uid differs from NSS
            KeysCacheEntry(name: "dupuser", uid: 1_000_004, keys: [pub["dupuser"]!]),   // local account wins NSS
            // carol is in passwd but not in the cache at all
        ], options: "restrict", to: generation + "/keys.cache")

        let k = scratch + "/keys"
        let cases = """
            # expect user key description
            ok   alice   \(k)/id_alice   right key (served with the restrict option)
            fail alice   \(k)/id_wrong   wrong key
            fail bob     \(k)/id_bob     in passwd, no keys in the cache
            fail bob     \(k)/id_alice   in passwd, no keys in the cache (another user's key)
            fail carol   \(k)/id_alice   in passwd, not in the cache
            fail mallory \(k)/id_mallory cache uid 1000033 but NSS uid 1000003
            fail dupuser \(k)/id_dupuser local account (uid 70020) named like an IdP user (uid 1000004)
            fail nosuch  \(k)/id_alice   unknown to NSS
            ok   alice   \(k)/id_alice   right key again after the failures
            """
        try cases.write(toFile: scratch + "/cases", atomically: false, encoding: .utf8)

        let casesFile = scratch + "/cases"
        let (status, out, err) = try await AKBinaries.run("/bin/bash", [script, helper, root, casesFile])
        let transcript = "exit \(status)\n--- stdout\n\(out)\n--- stderr\n\(err)"
        try #require(status == 0, "run.sh failed:\n\(transcript)")
        let lines = out.split(separator: "\n")
        #expect(lines.last == "ALL 9 CHECKS PASSED", "\(transcript)")
        #expect(lines.filter { $0.hasPrefix("ok   ok   alice") }.count == 2, "\(transcript)")
        #expect(lines.filter { $0.hasPrefix("ok   fail ") }.count == 7, "\(transcript)")
        #expect(!out.contains("FAIL"), "\(transcript)")
        // sshd accepted alice's key from the helper (its log names the command), not another path.
        #expect(out.contains("found at /run/") && out.contains("/sunk-authorized-keys %u %U"), "\(transcript)")
    }
}
