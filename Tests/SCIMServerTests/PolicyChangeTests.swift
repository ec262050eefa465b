import Foundation
import SCIMProtocol
import SunkModel
import SunkSnapshot
import SunkStore
import Testing
import TestSupport

/// Issue 10, "a policy change silently stops every node": `org set` and the configuration's
/// `orgs.*.policy` refuse a policy that strands stored entries unless forced; forced, those entries
/// are "not exported" with the reason and the published snapshot still validates on the nodes.
@Suite("Policy changes that would strand nodes", .serialized, .tags(.e2e), .timeLimit(.minutes(5)))
struct PolicyChangeTests {
    func bridge(_ arguments: [String]) async throws -> ProcessResult {
        let binary = try Binaries.sunkBridge()
        let env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        return try await run(binary, arguments, environment: env)
    }

    func snapshot(_ server: TestServer) async throws -> SnapshotDocument {
        let reply = try await server.get("/export/v1/snapshot", token: server.nodeToken)
        try #require(reply.status == 200, "\(reply.text)")
        let trust = TrustedKeys(keys: try server.database.trustKeys(org: "default", includePrevious: false))
        return try SnapshotOpening.open(Data(reply.body), trust: trust, expectedOrg: "default").document
    }

    /// ada (home /home/ada), eve (home /shared/home/eve), group metrics with both.
    func populate(_ server: TestServer) async throws {
        var policy = try server.org().policy
        policy.homePrefixes = ["/home", "/shared/home"]
        _ = try server.database.updateOrg("default", policy: policy)
        let ada = try await server.createUser(userBody("ada@example.com", posixName: "ada", uid: 100001))
        let eve = try await server.createUser(userBody("eve@example.com", posixName: "eve", uid: 100002,
                                                       extra: "\"sunkPreferredHomeDirectory\": \"/shared/home/eve\""))
        _ = try await server.createGroup("metrics", members: [ada, eve])
        _ = try await server.createGroup("HPC Team", members: [ada, eve])
    }

    @Test("org set --home-prefix that strands ada: refused with the list; --force: ada not exported, nodes keep validating")
    func orgSetHomePrefix() async throws {
        try await withServer { server in
            try await populate(server)
            let serial = try server.org().serial
            let refused = try await bridge(["org", "set", "default", "--home-prefix", "/shared/home", "--db", server.databasePath])
            #expect(refused.status == 1, "\(refused.output)")
            #expect(refused.output.contains("policy change refused: it would stop exporting 1 stored entry of org default"),
                    "\(refused.output)")
            #expect(refused.output.contains("user ada (ada@example.com): the org's policy refuses it: sunkPreferredHomeDirectory"),
                    "\(refused.output)")
            #expect(refused.output.contains("--force"))
            #expect(try server.org().policy.homePrefixes == ["/home", "/shared/home"], "policy unchanged")
            #expect(try server.org().serial == serial, "nothing published")

            let forced = try await bridge(["org", "set", "default", "--home-prefix", "/shared/home", "--force",
                                           "--db", server.databasePath])
            #expect(forced.status == 0, "\(forced.output)")
            #expect(forced.output.contains("not exported to nodes from now on (--force):\n  user ada (ada@example.com)"),
                    "\(forced.output)")
            #expect(try server.org().policy.homePrefixes == ["/shared/home"])

            let document = try await snapshot(server)
            try document.validated()
            #expect(document.body.users.map(\.name) == ["eve"])
            let skipped = try #require(document.body.skipped.first)
            #expect(skipped.userName == "ada@example.com")
            #expect(skipped.reason.hasPrefix("user ada: the org's policy refuses it: sunkPreferredHomeDirectory"), "\(skipped.reason)")
            #expect(document.body.groups.allSatisfy { $0.members == ["eve"] }, "ada is in no exported group")

            let users = try await bridge(["users", "list", "--db", server.databasePath])
            #expect(users.status == 0)
            #expect(users.output.contains("not exported to nodes:\n  ada@example.com: the org's policy refuses it: sunkPreferredHomeDirectory"),
                    "\(users.output)")
            let show = try await bridge(["users", "show", "ada", "--db", server.databasePath])
            #expect(show.output.contains("NOT EXPORTED: the org's policy refuses it"), "\(show.output)")

            // Deactivating eve still reaches the nodes: the snapshot is not poisoned.
            let off = try await server.patch("/Users/\(document.body.users[0].id)", patchBody(#"{"op": "replace", "value": {"active": false}}"#))
            #expect(off.status == 200, "\(off.text)")
            let after = try await snapshot(server)
            try after.validated()
            #expect(after.body.users.first?.active == false)

            // Widening the policy again exports ada again: nothing to force.
            let widened = try await bridge(["org", "set", "default", "--home-prefix", "/home", "--home-prefix", "/shared/home",
                                            "--db", server.databasePath])
            #expect(widened.status == 0, "\(widened.output)")
            #expect(try await snapshot(server).body.users.map(\.name) == ["ada", "eve"])
        }
    }

    @Test("org set --legacy-console-groups on with a group metrics: refused; --force: metrics not exported, groups list says why")
    func legacyConsoleGroups() async throws {
        try await withServer { server in
            try await populate(server)
            let refused = try await bridge(["org", "set", "default", "--legacy-console-groups", "on", "--db", server.databasePath])
            #expect(refused.status == 1, "\(refused.output)")
            #expect(refused.output.contains("group metrics (metrics): the org's policy refuses it"), "\(refused.output)")
            #expect(try server.org().policy.reserveLegacyConsoleGroups == false)
            let forced = try await bridge(["org", "set", "default", "--legacy-console-groups", "on", "--force",
                                           "--db", server.databasePath])
            #expect(forced.status == 0, "\(forced.output)")
            let document = try await snapshot(server)
            try document.validated()
            #expect(document.body.groups.map(\.name) == ["hpc-team"])
            #expect(document.body.skipped.contains { $0.userName == "metrics" && $0.reason.hasPrefix("group metrics: ") })
            let groups = try await bridge(["groups", "list", "--db", server.databasePath])
            #expect(groups.output.contains("not exported to nodes:\n  metrics (metrics): the org's policy refuses it"),
                    "\(groups.output)")
            let audit = try await bridge(["audit", "--db", server.databasePath])
            #expect(audit.output.contains("policy (forced: 1 entries no longer exported: group metrics)"), "\(audit.output)")
        }
    }

    @Test("serve with orgs.default.policy that strands entries: refuses to start; --force-policy applies it")
    func configuredPolicy() async throws {
        let work = try temporaryDirectory("policy-config")
        defer { try? FileManager.default.removeItem(atPath: work) }
        var databasePath = ""
        try await withServer { server in
            try await populate(server)
            databasePath = server.databasePath
            let config = work + "/config.yaml"
            try "orgs:\n  default:\n    policy: {homePrefixes: [/shared/home]}\n"
                .write(toFile: config, atomically: false, encoding: .utf8)
            let refused = try await bridge(["serve", "--config", config, "--db", databasePath, "--listen", "127.0.0.1:0"])
            #expect(refused.status == 1, "\(refused.output)")
            #expect(refused.output.contains("configuration orgs.default.policy: policy change refused"), "\(refused.output)")
            #expect(refused.output.contains("user ada (ada@example.com)"), "\(refused.output)")
            #expect(refused.output.contains("serve --force-policy"), "\(refused.output)")
            #expect(try server.org().policy.homePrefixes == ["/home", "/shared/home"])

            // Forced: applied, then serve runs (stopped by timeout after it started listening).
            let forced = try await run("/usr/bin/timeout", ["-s", "TERM", "5",
                try Binaries.sunkBridge(),
                "serve", "--config", config, "--db", databasePath, "--listen", "127.0.0.1:0", "--force-policy"],
                environment: ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()])
            #expect(forced.output.contains("applied the configured policy to org default"), "\(forced.output)")
            #expect(forced.output.contains("not exported to nodes from now on (--force-policy): user ada"), "\(forced.output)")
            #expect(forced.output.contains("listening on http://127.0.0.1:"), "\(forced.output)")
            #expect(try server.org().policy.homePrefixes == ["/shared/home"])
            let document = try await snapshot(server)
            try document.validated()
            #expect(document.body.users.map(\.name) == ["eve"])
        }
    }
}
