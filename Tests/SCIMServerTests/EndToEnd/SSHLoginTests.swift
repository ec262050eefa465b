import Foundation
import SCIMProtocol
import Testing
import TestSupport

/// The whole path a cluster user feels: an Okta-style SCIM push, `sunk-bridge sync` on the node,
/// then a real OpenSSH sshd on 127.0.0.1 asking the real `sunk-authorized-keys` for keys.
@Suite("SCIM push → sync → real sshd login", .serialized, .tags(.e2e, .root, .sshd), .timeLimit(.minutes(5)))
struct SSHLoginTests {
    static let coreWeave = "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"

    @Test("a key pushed through SCIM logs in; removed, deactivated or wrong keys do not")
    func loginLifecycle() async throws {
        #expect(getuid() == 0, "this test needs root (private mount namespace, sshd)")
        let bridge = try Binaries.sunkBridge()
        let helper = try Binaries.authorizedKeysHelper()
        let work = try temporaryDirectory("ssh-e2e")
        defer { try? FileManager.default.removeItem(atPath: work) }
        for name in ["ada", "bob", "wrong"] {
            try await SSHKeys.generate(at: "\(work)/id_\(name)", comment: "\(name)@e2e")
        }
        func publicKey(_ name: String) throws -> String {
            try String(contentsOfFile: "\(work)/id_\(name).pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // The node root: the host's own account files stand for the node's local accounts.
        let root = work + "/node"
        try makeNodeRoot(root)

        try await withServer(transport: .live) { server in
            let tokenFile = work + "/node-token"
            try writeFile(tokenFile, server.nodeToken + "\n", mode: 0o600)
            let trust = try server.writeTrustKey(to: work + "/trust.pub")
            func sync() async throws {
                let result = try await run(bridge, ["sync", "--from", server.scimURL + "/export/v1/snapshot",
                                              "--token-file", tokenFile, "--trust-key", trust, "--root", root, "--quiet"])
                #expect(result.status == 0, "sync failed: \(result.output)")
            }
            func logins(_ cases: [String]) async throws {
                let casesFile = work + "/cases"
                try (cases.joined(separator: "\n") + "\n").write(toFile: casesFile, atomically: true, encoding: .utf8)
                let result = try await run("/bin/bash", [repositoryRoot + "/Tests/e2e/sshd/run.sh", helper, root, casesFile])
                #expect(result.status == 0, "sshd logins did not go as expected:\n\(result.output)")
            }

            let ada = try await server.post("/Users", json("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "\(Self.coreWeave)"],
                 "userName": "ada.lovelace@example.com", "displayName": "Ada Lovelace", "active": true,
                 "\(Self.coreWeave)": {"sunkPosixUsername": "ada", "sunkPosixUserId": 100001.0,
                   "sunkPosixGroupId": 100001, "sunkLoginShell": "/bin/sh", "sunkSshKeys": ["\(try publicKey("ada"))"]}}
                """))
            try #require(ada.status == 201, "create ada: \(ada.text)")
            let adaID = try #require(ada["id"]?.stringValue)
            let bob = try await server.post("/Users", json("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "\(Self.coreWeave)"],
                 "userName": "bob@example.com", "active": true,
                 "\(Self.coreWeave)": {"sunkPosixUsername": "bob", "sunkLoginShell": "/bin/sh",
                   "sunkSshKeys": ["\(try publicKey("bob"))"]}}
                """))
            try #require(bob.status == 201, "create bob: \(bob.text)")
            let bobID = try #require(bob["id"]?.stringValue)

            try await sync()
            try await logins([
                "ok   ada   \(work)/id_ada    key from the SCIM profile",
                "fail ada   \(work)/id_wrong  a key nobody pushed",
                "ok   bob   \(work)/id_bob    allocated uid",
                "fail bob   \(work)/id_ada    another user's key",
            ])

            // Okta removes ada's key (PATCH on the extension path) and deactivates bob.
            let removed = try await server.patch("/Users/\(adaID)", json("""
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations": [{"op": "remove", "path": "\(Self.coreWeave):sunkSshKeys"}]}
                """))
            #expect(removed.status == 200, "remove key: \(removed.text)")
            let deactivated = try await server.patch("/Users/\(bobID)", json("""
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations": [{"op": "replace", "value": {"active": false}}]}
                """))
            #expect(deactivated.status == 200, "deactivate: \(deactivated.text)")

            try await sync()
            try await logins([
                "fail ada   \(work)/id_ada    key removed through SCIM PATCH",
                "fail bob   \(work)/id_bob    deactivated user",
            ])
        }
    }
}
