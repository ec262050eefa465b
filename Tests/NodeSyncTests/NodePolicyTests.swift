// The node decides its own policy: home prefixes come from its configuration and shells from its
// /etc/shells, never from the snapshot it is checking (issue 9 part 2).
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite("Node policy: homes and shells decided by the node")
struct NodePolicyTests {
    /// Syncs `body` from a file under `root` with the node's own `homePrefixes`, creating homes.
    func sync(_ body: SnapshotBody, root: String, homePrefixes: [String] = ["/home"],
              createHomes: Bool = true) async throws(SyncError) -> SyncReport {
        let path: String
        do {
            path = try Fixture.writeSnapshot(SnapshotDocument.make(body: body).encoded(), root: root)
        } catch {
            throw .usage("cannot write the test snapshot: \(error)")
        }
        let options = SyncOptions(root: root, createHomes: createHomes, homePrefixes: homePrefixes)
        return try await NodeSyncer(source: FileSnapshotSource(path: path), options: options).run()
    }

    /// A policy whose `homePrefixes` would be refused today; built field by field, as an attacker would.
    func policy(homePrefixes: [String]) -> Policy {
        var p = Policy.default
        p.homePrefixes = homePrefixes
        return p
    }

    @Test("a snapshot whose policy names /etc and /root is refused whole: nothing written, no home created")
    func systemTreePolicyIsRefused() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        try FileManager.default.createDirectory(atPath: root + "/home", withIntermediateDirectories: true)
        let body = Fixture.body(users: [Fixture.user("x", uid: 100001, home: "/etc/x"),
                                        Fixture.user("y", uid: 100002, home: "/root/y")],
                                policy: policy(homePrefixes: ["/etc", "/root"]))
        let before = NodeFiles(root: root)
        do {
            _ = try await sync(body, root: root, homePrefixes: ["/home"])
            Issue.record("a snapshot whose policy has /etc and /root as home prefixes must be refused")
        } catch {
            guard case .snapshot(.invalidEntry(let detail)) = error else {
                Issue.record("expected an invalid-entry refusal, got \(error)")
                return
            }
            #expect(detail.hasPrefix("policy: policy.homePrefixes: \"/etc\" is the system tree /etc"), "\(detail)")
        }
        #expect(NodeFiles(root: root) == before, "no node file was written or replaced")
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/x"))
        #expect(!FileManager.default.fileExists(atPath: root + "/root"))
        #expect(!FileManager.default.fileExists(atPath: root + "/var/lib/extrausers/passwd"))
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.lastResult == .failed)
        #expect(state.lastError?.contains("policy.homePrefixes") == true, "\(state.lastError ?? "")")
    }

    @Test("homes outside the node's prefixes are skipped, whatever the snapshot's policy allows; homes are created only below the node's")
    func nodePrefixesDecideHomes() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        try FileManager.default.createDirectory(atPath: root + "/home", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let body = Fixture.body(users: [Fixture.user("ada", uid: 100001, home: "/home/ada"),
                                        Fixture.user("eve", uid: 100002, home: "/data/eve"),
                                        Fixture.user("hal", uid: 100003, home: "/home2/hal")],
                                groups: [Fixture.group("team", gid: 2000001, members: ["ada", "eve", "hal"])],
                                policy: policy(homePrefixes: ["/home", "/data", "/home2"]))
        let report = try await sync(body, root: root, homePrefixes: ["/home"])

        #expect(report.plan.users.map(\.name) == ["ada"])
        let passwd = Fixture.read(root + "/var/lib/extrausers/passwd")
        #expect(passwd == "ada:x:100001:100001:User ada:/home/ada:/bin/bash\n", "\(passwd)")
        #expect(Fixture.read(root + "/var/lib/extrausers/group").contains("team:x:2000001:ada\n"),
                "skipped users are not group members")
        #expect(!Fixture.read(root + "/var/lib/sunk-bridge/keys.cache").contains("eve:"))

        let skips = Dictionary(uniqueKeysWithValues: report.plan.skipped.map { ($0.name ?? "", $0) })
        let eve = try #require(skips["eve"])
        #expect(eve.kind == .user && eve.origin == .node)
        #expect(eve.reason == "home /data/eve is not strictly below this node's home prefixes (/home); "
                + "add a prefix with sync --home-prefix or node.homePrefixes")
        // Component-wise: /home2/hal is not below /home.
        #expect(skips["hal"]?.reason.hasPrefix("home /home2/hal is not strictly below") == true)

        // ada's home is created and hers; nothing appears under /data or /home2.
        var st = stat()
        #expect(stat(root + "/home/ada", &st) == 0 && st.st_uid == 100001 && st.st_mode & 0o7777 == 0o700)
        #expect(!FileManager.default.fileExists(atPath: root + "/data"))
        #expect(!FileManager.default.fileExists(atPath: root + "/home2"))
        #expect(report.homes == ["home /home/ada of ada: created"], "\(report.homes)")

        // status names the skip as the node's.
        let status = StatusReport(state: try SyncState.load(NodePaths(root: root)), now: Date(), maxAge: 3600)
        #expect(status.text.contains("user eve (eve@example.com, SCIM id id-eve) [node]: home /data/eve is not strictly below"),
                "\(status.text)")
    }

    @Test("a node that lists /data as its own prefix takes eve, and creates her home there")
    func nodeMayWidenItsOwnPrefixes() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        for dir in ["/home", "/data"] {
            try FileManager.default.createDirectory(atPath: root + dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        }
        let body = Fixture.body(users: [Fixture.user("ada", uid: 100001), Fixture.user("eve", uid: 100002, home: "/data/eve")],
                                policy: policy(homePrefixes: ["/home", "/data"]))
        let report = try await sync(body, root: root, homePrefixes: ["/home", "/data"])
        #expect(report.plan.users.map(\.name) == ["ada", "eve"])
        #expect(report.plan.skipped.isEmpty)
        var st = stat()
        #expect(stat(root + "/data/eve", &st) == 0 && st.st_uid == 100002)
    }

    @Test("the node's own prefixes are checked before anything is read: a system tree is a usage error",
          arguments: [["/etc"], ["/home", "/root"], ["/"], ["/var/lib/homes"], ["/home/"], [String]()])
    func badNodePrefixesAreUsageErrors(_ prefixes: [String]) async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let before = NodeFiles(root: root)
        do {
            _ = try await sync(Fixture.body(users: Fixture.users(2)), root: root, homePrefixes: prefixes)
            Issue.record("node prefixes \(prefixes) must be refused")
        } catch {
            guard case .usage(let message) = error else {
                Issue.record("expected a usage error, got \(error)")
                return
            }
            #expect(message.hasPrefix("--home-prefix: "), "\(message)")
            #expect(error.exitCode == 1)
        }
        #expect(NodeFiles(root: root) == before)
        #expect(!FileManager.default.fileExists(atPath: root + "/var/lib/sunk-bridge"), "not even the state directory")
    }

    // MARK: shells

    @Test("a path that merely ends in nologin or false is not a nologin shell: missing from /etc/shells, it falls back")
    func lookalikeNologinShellsFallBack() {
        var p = Policy.default
        p.shells += ["/opt/evil/nologin", "/tmp/false"]
        let body = Fixture.body(users: [Fixture.user("evil", uid: 100001, shell: "/opt/evil/nologin"),
                                        Fixture.user("tmpf", uid: 100002, shell: "/tmp/false"),
                                        Fixture.user("real", uid: 100003, shell: "/usr/sbin/nologin")],
                                policy: p)
        let plan = NodeFloor.plan(body, local: LocalAccounts(shells: ["/bin/sh", "/bin/bash"]), homePrefixes: ["/home"])
        let shells = Dictionary(uniqueKeysWithValues: plan.users.map { ($0.name, $0.shell) })
        #expect(shells == ["evil": "/bin/bash", "tmpf": "/bin/bash", "real": "/usr/sbin/nologin"])
        #expect(plan.shellFallbacks == 2)
    }

    @Test("the snapshot's shell list adds nothing: a shell is taken only when the node's /etc/shells lists it")
    func nodeShellsDecide() {
        var p = Policy.default
        p.shells += ["/usr/local/bin/evil"]
        let body = Fixture.body(users: [Fixture.user("e", uid: 100001, shell: "/usr/local/bin/evil"),
                                        Fixture.user("z", uid: 100002, shell: "/usr/bin/zsh")],
                                policy: p)
        let listed = NodeFloor.plan(body, local: LocalAccounts(shells: ["/bin/bash", "/usr/bin/zsh"]), homePrefixes: ["/home"])
        #expect(listed.users.map(\.shell) == ["/bin/bash", "/usr/bin/zsh"])
        #expect(listed.shellFallbacks == 1)
        // A node that installed the odd shell itself takes it: its /etc/shells is its decision.
        let installed = NodeFloor.plan(body, local: LocalAccounts(shells: ["/usr/local/bin/evil", "/bin/bash"]),
                                       homePrefixes: ["/home"])
        #expect(installed.users.map(\.shell) == ["/usr/local/bin/evil", "/bin/bash"])
    }

    @Test("the default shell is used only when the node allows it: listed, or an exact nologin path; else the user is skipped")
    func defaultShellMustBeTheNodes() {
        func plan(defaultShell: String, nodeShells: Set<String>) -> NodePlan {
            var p = Policy.default
            p.shells += ["/opt/evil/nologin"]
            p.defaultShell = defaultShell
            return NodeFloor.plan(Fixture.body(users: [Fixture.user("z", uid: 100001, shell: "/usr/bin/zsh")], policy: p),
                                  local: LocalAccounts(shells: nodeShells), homePrefixes: ["/home"])
        }
        let nologin = plan(defaultShell: "/usr/sbin/nologin", nodeShells: ["/bin/sh"])
        #expect(nologin.users.map(\.shell) == ["/usr/sbin/nologin"], "an exact nologin default needs no listing")
        #expect(nologin.shellFallbacks == 1)

        let lookalike = plan(defaultShell: "/opt/evil/nologin", nodeShells: ["/bin/sh"])
        #expect(lookalike.users.isEmpty)
        #expect(lookalike.skipped.map(\.reason) == [
            "shell /usr/bin/zsh and the default shell /opt/evil/nologin are both missing from /etc/shells on this node",
        ])
        #expect(lookalike.skipped.first?.origin == .node)

        let listed = plan(defaultShell: "/opt/evil/nologin", nodeShells: ["/bin/sh", "/opt/evil/nologin"])
        #expect(listed.users.map(\.shell) == ["/opt/evil/nologin"], "listed by the node itself")
    }

    @Test("a locked user keeps the exact nologin shell and is still subject to the node's home prefixes")
    func lockedUsers() {
        let body = Fixture.body(users: [Fixture.user("old", uid: 100001, active: false, shell: "/bin/bash"),
                                        Fixture.user("far", uid: 100002, active: false, home: "/srv/far")],
                                policy: policy(homePrefixes: ["/home", "/srv"]))
        let plan = NodeFloor.plan(body, local: LocalAccounts(shells: ["/bin/bash"]), homePrefixes: ["/home"])
        #expect(plan.users.map(\.name) == ["old"])
        #expect(plan.users.first?.shell == PosixRules.lockedShell && plan.users.first?.locked == true)
        #expect(plan.skipped.map(\.name) == ["far"])
    }
}
