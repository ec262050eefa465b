import Foundation
import SCIMProtocol
import SunkSnapshot
import Testing
import TestSupport

/// The admin CLI and the single-node path, run as the real `sunk-bridge` binary against the
/// database a live server writes.
@Suite("sunk-bridge CLI against a live database", .tags(.e2e), .timeLimit(.minutes(5)))
struct CLITests {
    @Test("export writes the served snapshot; sync --db renders passwd/group; users/groups show the POSIX view")
    func exportAndSyncFromDatabase() async throws {
        let bridge = try Binaries.sunkBridge()
        let work = try temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try await withServer { server in
            let ada = try await server.post("/Users", userBody("ada.lovelace@example.com", posixName: "ada", uid: 100001,
                                                               extra: "\"sunkSshKeys\": [\"\(adaLaptopKey)\"]"))
            try #require(ada.status == 201, "\(ada.text)")
            let group = try await server.post("/Groups", json("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "HPC Research (EU)",
                 "members": [{"value": "\(ada.id!)"}]}
                """))
            try #require(group.status == 201, "\(group.text)")

            let out = work + "/snapshot.json"
            let export = try await run(bridge, ["export", "--db", server.databasePath, "--out", out])
            #expect(export.status == 0, "\(export.output)")
            let served = try await server.get("/export/v1/snapshot", token: server.nodeToken)
            let exported = try Data(contentsOf: URL(fileURLWithPath: out))
            #expect(exported == Data(served.body), "export writes exactly what the server serves")

            let root = work + "/node"
            try makeNodeRoot(root)
            try FileManager.default.createDirectory(atPath: root + "/home", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            try FileManager.default.createDirectory(atPath: root + "/etc/skel", withIntermediateDirectories: true)
            try "# skeleton\n".write(toFile: root + "/etc/skel/.profile", atomically: true, encoding: .utf8)
            let sync = try await run(bridge, ["sync", "--db", server.databasePath, "--root", root, "--quiet", "--create-homes"])
            #expect(sync.status == 0, "\(sync.output)")
            let home = try FileManager.default.attributesOfItem(atPath: root + "/home/ada")
            #expect((home[.ownerAccountID] as? NSNumber)?.intValue == 100001, "the home belongs to the user")
            #expect((home[.groupOwnerAccountID] as? NSNumber)?.intValue == 100001)
            #expect((home[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            let profile = try FileManager.default.attributesOfItem(atPath: root + "/home/ada/.profile")
            #expect((profile[.ownerAccountID] as? NSNumber)?.intValue == 100001, "the skeleton is copied and owned by the user")
            let passwd = try String(contentsOfFile: root + "/var/lib/extrausers/passwd", encoding: .utf8)
            #expect(passwd.contains("ada:x:100001:100001:Test User:/home/ada:/bin/bash\n"), "\(passwd)")
            let groups = try String(contentsOfFile: root + "/var/lib/extrausers/group", encoding: .utf8)
            #expect(groups.contains("hpc-research-eu:x:2000000:ada\n"), "\(groups)")

            let getent = try await run(bridge, ["getent", "passwd", "ada", "--root", root])
            #expect(getent.status == 0 && getent.output.hasPrefix("ada:x:100001:"), "\(getent.output)")
            let missing = try await run(bridge, ["getent", "passwd", "nobody-here", "--root", root])
            #expect(missing.status == 2, "getent exits 2 for an unknown key")
            let status = try await run(bridge, ["status", "--root", root])
            #expect(status.status == 0, "\(status.output)")

            let show = try await run(bridge, ["users", "show", "ada", "--db", server.databasePath])
            #expect(show.status == 0)
            #expect(show.output.contains("uid:         100001"), "\(show.output)")
            #expect(show.output.contains("ssh-ed25519 SHA256:"), "key fingerprints are shown: \(show.output)")
            let groupShow = try await run(bridge, ["groups", "show", "hpc-research-eu", "--db", server.databasePath])
            #expect(groupShow.output.contains("gid:         2000000") && groupShow.output.contains("members:     ada"),
                    "\(groupShow.output)")
            let tokens = try await run(bridge, ["token", "list", "--db", server.databasePath])
            #expect(!tokens.output.contains(server.token), "token list never shows a secret")
        }
    }

    @Test("token create --quiet prints only the secret, and the server accepts it at once")
    func tokenLifecycle() async throws {
        let bridge = try Binaries.sunkBridge()
        try await withServer { server in
            let created = try await run(bridge, ["token", "create", "--db", server.databasePath, "--name", "Okta ID", "--quiet"])
            #expect(created.status == 0)
            let secret = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!secret.contains("\n") && secret.hasPrefix("sbt_"), "\(created.output)")
            #expect(try await server.get("/Users", token: secret).status == 200)
            let revoked = try await run(bridge, ["token", "revoke", "--db", server.databasePath, "Okta ID"])
            #expect(revoked.status == 0, "\(revoked.output)")
            #expect(try await server.get("/Users", token: secret).status == 401, "revocation takes effect at once")
        }
    }
}
