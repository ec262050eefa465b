// Issue 9's attack, replayed through the real `sunk-bridge sync` binary: a snapshot that tries to
// place homes in /etc and /root, then the same node fed forged, foreign, unsigned and plain-http
// documents. Nothing outside the node's own prefixes is ever created, and every refusal leaves
// the node's files byte-identical.
import Crypto
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport

@Suite("Node trust: the attack on homes and signatures", .serialized, .tags(.e2e))
struct NodeTrustAttackTests {
    let signer = SignedSnapshotTests.Signer()
    let root: String
    let trustFile: String

    init() throws {
        root = try Fixture.makeRoot()
        try FileManager.default.createDirectory(atPath: root + "/home", withIntermediateDirectories: true)
        trustFile = root + "/in/trust.pub"
        try FileManager.default.createDirectory(atPath: root + "/in", withIntermediateDirectories: true)
        try (signer.trustLine + "\n").write(toFile: trustFile, atomically: false, encoding: .utf8)
    }

    func sync(_ data: Data, name: String, extra: [String] = []) async throws -> ProcessResult {
        let path = try Fixture.writeSnapshot(data, root: root, name: name)
        return try await run(try Binaries.sunkBridge(),
                                       ["sync", "--snapshot", path, "--trust-key", trustFile, "--root", root,
                                        "--create-homes", "--quiet"] + extra, error: .separate)
    }

    func attackBody(serial: Int64, policyPrefixes: [String], homes: [String]) -> SnapshotBody {
        var policy = Policy.default
        policy.homePrefixes = policyPrefixes
        let users = homes.enumerated().map { i, home in
            Fixture.user("evil\(i)", uid: 100100 + UInt32(i), home: home)
        }
        return Fixture.body(users: [Fixture.user("ada", uid: 100001)] + users, policy: policy, serial: serial)
    }

    /// Paths below the root that no snapshot may create.
    func systemTreesUntouched() {
        for path in ["/etc/systemd", "/root", "/data", "/etc/x"] {
            #expect(!FileManager.default.fileExists(atPath: root + path), "\(path) was created")
        }
    }

    @Test func attackAndRefusals() async throws {
        defer { Fixture.remove(root) }
        let good = try await sync(try signer.sign(Fixture.body(users: [Fixture.user("ada", uid: 100001)], serial: 1)),
                            name: "good.json")
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(FileManager.default.fileExists(atPath: root + "/home/ada"))
        let before = NodeFiles(root: root)

        // 1. Correctly signed, policy and entries naming /etc and /root: refused whole.
        let signedAttack = try signer.sign(attackBody(serial: 2, policyPrefixes: ["/etc", "/root"],
                                                      homes: ["/etc/systemd/system/ssh.service.d", "/root/x"]))
        let refused = try await sync(signedAttack, name: "attack.json")
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("system tree"), "\(refused.stderr)")
        #expect(NodeFiles(root: root) == before, "the attack changed node files")
        systemTreesUntouched()

        // 2. Correctly signed, a policy the receiver may legitimately have (/data), but this node only
        //    allows /home: the /data user is skipped, nothing is created under /data, ada stays.
        let elsewhere = try await sync(try signer.sign(attackBody(serial: 3, policyPrefixes: ["/home", "/data"],
                                                            homes: ["/data/evil"])), name: "data.json")
        #expect(elsewhere.status == 0, "\(elsewhere.stdout)\(elsewhere.stderr)")
        let passwd = Fixture.read(root + "/var/lib/extrausers/passwd")
        #expect(passwd.contains("ada:x:100001:") && !passwd.contains("evil0"), "\(passwd)")
        systemTreesUntouched()
        let applied = NodeFiles(root: root)

        // 3. Forged: the attack document with a signature claiming the trusted key.
        var forger = SignedSnapshotTests.Signer()
        let forged = try SignedSnapshot.parse(try forger.sign(attackBody(serial: 4, policyPrefixes: ["/home"],
                                                                          homes: ["/home/evil"])))
        let claimed = SignedSnapshot.assembled(org: forged.org, serial: forged.serial, instance: forged.instance,
                                               publicKey: [UInt8](signer.key.publicKey.rawRepresentation),
                                               signature: forged.signature, document: forged.document)
        // 4. Another org's key (trusted by nobody here), 5. a valid digest and no signature.
        forger.org = "research"
        let cases: [(String, Data, String)] = [
            ("forged signature", claimed.encoded(), "signature does not verify"),
            ("another org's key", try forger.sign(attackBody(serial: 4, policyPrefixes: ["/home"], homes: ["/home/evil"]),
                                                  org: "default"), "not in the node's trust keys"),
            ("no signature", SnapshotDocument.make(body: attackBody(serial: 4, policyPrefixes: ["/home"],
                                                                    homes: ["/home/evil"])).encoded(), "not signed"),
        ]
        for (label, data, reason) in cases {
            let out = try await sync(data, name: "case.json")
            #expect(out.status == 1, "\(label): \(out.stdout)\(out.stderr)")
            #expect(out.stderr.contains(reason), "\(label): \(out.stderr)")
            #expect(NodeFiles(root: root) == applied, "\(label) changed node files")
            #expect(!FileManager.default.fileExists(atPath: root + "/home/evil"), "\(label)")
        }

        // 6. Plain http to a name that is not loopback: refused before any request.
        let token = root + "/in/token"
        try "secret\n".write(toFile: token, atomically: false, encoding: .utf8)
        chmod(token, 0o600)
        let http = try await run(try Binaries.sunkBridge(), [
            "sync", "--from", "http://bridge.example.com/scim/default/export/v1/snapshot", "--token-file", token,
            "--trust-key", trustFile, "--root", root], error: .separate)
        #expect(http.status != 0)
        #expect(http.stderr.contains("plain http is only allowed to a loopback address"), "\(http.stderr)")
        #expect(NodeFiles(root: root) == applied)

        // And `--from` without a trust key is refused, saying what to run.
        let untrusted = try await run(try Binaries.sunkBridge(), [
            "sync", "--from", "https://bridge.example.com/scim/default/export/v1/snapshot", "--token-file", token,
            "--root", root], error: .separate)
        #expect(untrusted.status != 0)
        #expect(untrusted.stderr.contains("org trust-key"), "\(untrusted.stderr)")
        let status = try await run(try Binaries.sunkBridge(), ["status", "--root", root], error: .separate)
        #expect(status.stdout.contains("not signed"), "status says why the last run failed: \(status.stdout)")
    }
}
