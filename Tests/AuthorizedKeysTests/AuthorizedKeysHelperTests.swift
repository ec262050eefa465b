import Testing
import TestSupport
import Foundation
import AuthorizedKeys

/// The `sunk-authorized-keys` executable, run as a process against caches below /run.
@Suite("AuthorizedKeys: the sunk-authorized-keys helper", .tags(.e2e))
struct AuthorizedKeysHelperTests {

    /// A node root with a cache of ada (2 keys), bob (no keys), with `restrict` options.
    func fixture(options: String? = "restrict") throws -> String {
        try AKSupport.requireRoot()
        let root = try AKSupport.nodeRoot()
        try KeysCacheWriter.write(entries: [
            KeysCacheEntry(name: "ada", uid: 1_000_001, keys: [AKSupport.ed25519(1), AKSupport.ed25519(2, comment: "ada@laptop")]),
            KeysCacheEntry(name: "bob", uid: 1_000_002, keys: []),
        ], options: options, to: KeysCache.path(root: root))
        return root
    }

    func helper(_ args: [String]) async throws -> (status: Int32, out: String, err: String) {
        let (s, o, e) = try await AKBinaries.run(try AKBinaries.helper(), args)
        return (s, o, e)
    }

    @Test("a hit prints each key canonically, prefixed by the options; exit 0")
    func hit() async throws {
        let root = try fixture()
        defer { AKSupport.remove(root) }
        let r = try await helper(["--root", root, "ada", "1000001"])
        #expect(r.status == 0)
        #expect(r.out == "restrict \(AKSupport.ed25519(1))\nrestrict \(AKSupport.ed25519(2, comment: "ada@laptop"))\n")
        #expect(r.err.isEmpty, "nothing on stderr (sshd discards it; logs go to syslog)")
        // --root=DIR form, and no options in the cache → bare keys.
        let plain = try fixture(options: nil)
        defer { AKSupport.remove(plain) }
        let p = try await helper(["--root=\(plain)", "ada", "1000001"])
        #expect(p.status == 0 && p.out == "\(AKSupport.ed25519(1))\n\(AKSupport.ed25519(2, comment: "ada@laptop"))\n")
    }

    @Test("not ours → exit 0 and no output: unknown user, no keys, wrong uid, invalid name, uid 0")
    func notOurs() async throws {
        let root = try fixture()
        defer { AKSupport.remove(root) }
        for args in [["carol", "1000003"], ["bob", "1000002"], ["ada", "1000002"], ["ada", "10001"],
                     ["Ada", "1000001"], ["../ada", "1000001"], ["-ada", "1000001"], ["ada:x", "1000001"],
                     ["root", "0"], ["ada", "0"], [String(repeating: "a", count: 300), "1000001"]] {
            let r = try await helper(["--root", root] + args)
            #expect(r.status == 0 && r.out.isEmpty, "\(args): status \(r.status), output \(r.out.debugDescription)")
        }
    }

    @Test("missing, unsafe or malformed cache → exit 1 with nothing on stdout")
    func cacheErrors() async throws {
        let root = try fixture()
        defer { AKSupport.remove(root) }
        let path = KeysCache.path(root: root)

        chmod(path, 0o666)
        var r = try await helper(["--root", root, "ada", "1000001"])
        #expect(r.status == 1 && r.out.isEmpty, "world-writable cache: \(r)")
        chmod(path, 0o644)
        chown(path, 65534, 65534)
        r = try await helper(["--root", root, "ada", "1000001"])
        #expect(r.status == 1 && r.out.isEmpty, "cache owned by nobody: \(r)")
        chown(path, 0, 0)
        r = try await helper(["--root", root, "ada", "1000001"])
        #expect(r.status == 0 && !r.out.isEmpty, "restored cache works again")

        let empty = try AKSupport.nodeRoot()
        defer { AKSupport.remove(empty) }
        r = try await helper(["--root", empty, "ada", "1000001"])
        #expect(r.status == 1 && r.out.isEmpty, "missing cache: \(r)")

        try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: KeysCache.path(root: empty)))
        chmod(KeysCache.path(root: empty), 0o644)
        r = try await helper(["--root", empty, "ada", "1000001"])
        #expect(r.status == 1 && r.out.isEmpty, "malformed cache: \(r)")
    }

    @Test("configuration errors → exit 1: missing arguments, non-decimal uid, unknown option, relative root")
    func usage() async throws {
        let root = try fixture()
        defer { AKSupport.remove(root) }
        for args in [[], ["ada"], ["--root", root, "ada"], ["--root", root, "ada", "12a"], ["--root", root, "ada", "-1"],
                     ["--root", root, "ada", "1000001", "extra"], ["--root", "relative", "ada", "1000001"],
                     ["--root"], ["--root", root, "ada", "--bogus"]] {
            let r = try await helper(args)
            #expect(r.status == 1 && r.out.isEmpty, "\(args): status \(r.status)")
        }
    }

    @Test("keys are re-parsed and re-rendered: a non-canonical line is normalised, an invalid one dropped")
    func rerendered() async throws {
        try AKSupport.requireRoot()
        let root = try AKSupport.nodeRoot()
        defer { AKSupport.remove(root) }
        // Hand-written cache (format in docs/keys-cache.md): extra spaces, then a broken key.
        let messy = AKSupport.ed25519(7, comment: "a   b").replacingOccurrences(of: " AAAA", with: "    AAAA")
        let line = "ada:1000001:\(messy)\tssh-ed25519 AAAAbroken\tssh-dss AAAAB3NzaC1kc3M=\n"
        let text = "sunk-keys-cache\t1\t1\t\(line.utf8.count)\t\n" + line
        try Data(text.utf8).write(to: URL(fileURLWithPath: KeysCache.path(root: root)))
        chmod(KeysCache.path(root: root), 0o644)
        let r = try await helper(["--root", root, "ada", "1000001"])
        #expect(r.status == 0)
        #expect(r.out == AKSupport.ed25519(7, comment: "a b") + "\n")
    }

    @Test("works as the unprivileged AuthorizedKeysCommandUser (nobody)")
    func asNobody() async throws {
        let root = try fixture()
        defer { AKSupport.remove(root) }
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "setpriv (util-linux) missing")
        let bin = try AKBinaries.helper()
        // The helper must be reachable by nobody: copy it below the (0755) test root.
        let copy = root + "/sunk-authorized-keys"
        try FileManager.default.copyItem(atPath: bin, toPath: copy)
        chmod(copy, 0o755)
        let r = try await AKBinaries.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--",
                                                        copy, "--root", root, "ada", "1000001"])
        #expect(r.0 == 0)
        #expect(r.1.split(separator: "\n").count == 2, "two keys served to nobody: \(r)")
    }
}
