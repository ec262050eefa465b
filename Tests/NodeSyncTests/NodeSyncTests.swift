// `sync` end to end over a scratch root: files, modes, formats, state, floor, deactivation.
import AuthorizedKeys
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing

@Suite("Sync writes the node files")
struct NodeSyncApplyTests {
    @Test func extrausersFilesModesAndState() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let body = Fixture.body(users: [Fixture.user("ada", uid: 100001, gid: 2000001, gecos: "Ada Lovelace"),
                                        Fixture.user("bob", uid: 100002)],
                                groups: [Fixture.group("hpc-research-eu", gid: 2000001, members: ["ada", "bob"])],
                                skipped: [SkippedEntry(id: "x9", userName: "Weird@example.com",
                                                       reason: "derived name is not valid")])
        let report = try await Fixture.syncBody(body, root: root)
        #expect(report.result == .applied)
        let eu = root + "/var/lib/extrausers"
        #expect(Fixture.read(eu + "/passwd") == """
            ada:x:100001:2000001:Ada Lovelace:/home/ada:/bin/bash
            bob:x:100002:100002:User bob:/home/bob:/bin/bash

            """)
        #expect(Fixture.read(eu + "/group") == "bob:x:100002:\nhpc-research-eu:x:2000001:ada,bob\n")
        #expect(Fixture.read(eu + "/shadow") == "ada:*:::::::\nbob:*:::::::\n")
        #expect(Fixture.mode(eu + "/passwd") == 0o644)
        #expect(Fixture.mode(eu + "/group") == 0o644)
        #expect(Fixture.mode(eu + "/shadow") == 0o640)
        if geteuid() == 0 {
            var st = stat()
            stat(eu + "/shadow", &st)
            #expect(st.st_gid == 42, "shadow group from <root>/etc/group")
        }
        // Keys cache has both users.
        let keys = Fixture.read(root + "/var/lib/sunk-bridge/keys.cache")
        #expect(keys.contains("ada:100001:ssh-ed25519 "))
        // No temp files left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: eu).filter { $0.contains("sunk-tmp") }
        #expect(leftovers.isEmpty)
        // State records the run.
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.serial == 1)
        #expect(state.lastResult == .applied)
        #expect(state.lastError == nil)
        #expect(state.counts?.users == 2)
        #expect(state.skipped.contains { $0.origin == .server && $0.reason == "derived name is not valid" })
        // A second run writes nothing.
        let before = NodeFiles(root: root)
        let again = try await Fixture.syncBody(body, root: root)
        #expect(again.result == .unchanged)
        #expect(again.writtenFiles.isEmpty)
        #expect(NodeFiles(root: root) == before)
    }

    @Test func cacheFormatWritesDataThenIndexes() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let users = [Fixture.user("nine", uid: 99999), Fixture.user("hundred", uid: 100000)]
        let report = try await Fixture.syncBody(Fixture.body(users: users), root: root, format: .cache)
        let etc = root + "/etc"
        let expected = ["group.cache", "group.cache.ixname", "group.cache.ixgid", "passwd.cache",
                        "passwd.cache.ixname", "passwd.cache.ixuid", "shadow.cache", "shadow.cache.ixname"]
        #expect(report.writtenFiles.filter { $0.hasPrefix(etc) }.map { String($0.dropFirst(etc.count + 1)) } == expected)
        let ixuid = Fixture.read(etc + "/passwd.cache.ixuid")
        #expect(ixuid.hasPrefix("100000\u{0}"))
        #expect(Fixture.mode(etc + "/shadow.cache") == 0o640)
        #expect(Fixture.mode(etc + "/shadow.cache.ixname") == 0o640)
        // Local files are never touched.
        #expect(Fixture.read(etc + "/passwd").hasPrefix("root:x:0:0"))

        // Same-length edit of a data file: its indexes are rewritten too, the other maps are not.
        var changed = users
        changed[0].gecos = "User niNe"
        let second = try await Fixture.syncBody(Fixture.body(users: changed), root: root, format: .cache)
        #expect(second.writtenFiles.map { String($0.dropFirst(etc.count + 1)) }
            == ["passwd.cache", "passwd.cache.ixname", "passwd.cache.ixuid"])
    }

    @Test func deactivationLockKeepsUserWithoutKeys() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let body = Fixture.body(users: [Fixture.user("ada", uid: 100001), Fixture.user("gone", uid: 100002, active: false)],
                                groups: [Fixture.group("team", gid: 2000001, members: ["ada", "gone"])])
        let report = try await Fixture.syncBody(body, root: root)
        #expect(report.plan.lockedUsers == 1)
        #expect(Fixture.read(root + "/var/lib/extrausers/passwd")
            .contains("gone:x:100002:100002:User gone:/home/gone:/usr/sbin/nologin\n"))
        #expect(Fixture.read(root + "/var/lib/extrausers/group").contains("team:x:2000001:ada\n"),
                "a locked user is in no supplementary group")
        #expect(Fixture.read(root + "/var/lib/extrausers/group").contains("gone:x:100002:\n"), "primary group kept")
        #expect(Fixture.read(root + "/var/lib/extrausers/shadow") == "ada:*:::::::\ngone:!*::::::1:\n",
                "locked: `!` password, account expired on day 1")
        let cache = Fixture.read(root + "/var/lib/sunk-bridge/keys.cache")
        #expect(cache.contains("\ngone:100002:\n"), "locked user has no keys: \(cache)")
    }

    @Test func deactivationRemoveOmitsUser() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        var policy = Policy.default
        policy.deactivation = .remove
        let body = Fixture.body(users: [Fixture.user("ada", uid: 100001), Fixture.user("gone", uid: 100002, active: false)],
                                groups: [Fixture.group("team", gid: 2000001, members: ["ada", "gone"])], policy: policy)
        let report = try await Fixture.syncBody(body, root: root)
        #expect(report.plan.removedByPolicy == 1)
        let passwd = Fixture.read(root + "/var/lib/extrausers/passwd")
        #expect(!passwd.contains("gone"))
        #expect(Fixture.read(root + "/var/lib/extrausers/group").contains("team:x:2000001:ada\n"))
        #expect(!Fixture.read(root + "/var/lib/sunk-bridge/keys.cache").contains("gone"))
    }
}

@Suite("Node floor")
struct NodeFloorTests {
    @Test func localAccountCollisionIsSkippedAndReported() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let body = Fixture.body(users: [
            Fixture.user("alice", uid: 100001),              // name of a local account
            Fixture.user("mallory", uid: 20000, gid: 100002), // uid of local svc
            Fixture.user("gina", uid: 100003, gid: 20001),   // primary gid of local group
            Fixture.user("ok", uid: 100004),
        ], groups: [Fixture.group("localgrp", gid: 2000002, members: ["ok"])])
        let report = try await Fixture.syncBody(body, root: root)
        #expect(report.plan.users.map(\.name) == ["ok"])
        let reasons = Dictionary(uniqueKeysWithValues: report.plan.skipped.map { ($0.name ?? "", $0.reason) })
        #expect(reasons["alice"]?.contains("local account") == true)
        #expect(reasons["mallory"]?.contains("uid 20000 belongs to local account svc") == true)
        #expect(reasons["gina"]?.contains("gid 20001 belongs to local group localgrp") == true)
        #expect(reasons["localgrp"]?.contains("local group") == true)
        // The IdP "alice" never gets into the keys cache: the local alice keeps her own keys.
        let cache = Fixture.read(root + "/var/lib/sunk-bridge/keys.cache")
        #expect(!cache.contains("\nalice:"))
        #expect(cache.contains("\nok:100004:ssh-ed25519 "))
        // And status reports it.
        let status = StatusReport(state: try SyncState.load(NodePaths(root: root)), now: Date(), maxAge: 3600)
        #expect(status.text.contains("user alice (alice@example.com, SCIM id id-alice) [node]: name alice is a local account"))
    }

    @Test func shellFallbackAndNologin() {
        let local = LocalAccounts(shells: ["/bin/sh", "/bin/bash"])
        let body = Fixture.body(users: [
            Fixture.user("zsh1", uid: 100001, shell: "/usr/bin/zsh"),   // not installed → /bin/bash
            Fixture.user("nol", uid: 100002, shell: "/usr/sbin/nologin"), // not listed, kept
            Fixture.user("fal", uid: 100003, shell: "/bin/false"),
            Fixture.user("sh1", uid: 100004, shell: "/bin/sh"),
        ])
        let plan = NodeFloor.plan(body, local: local, homePrefixes: ["/home"])
        let shells = Dictionary(uniqueKeysWithValues: plan.users.map { ($0.name, $0.shell) })
        #expect(shells == ["zsh1": "/bin/bash", "nol": "/usr/sbin/nologin", "fal": "/bin/false", "sh1": "/bin/sh"])
        #expect(plan.shellFallbacks == 1)
    }

    @Test func defaultShellMissingSkipsUser() {
        let plan = NodeFloor.plan(Fixture.body(users: [Fixture.user("z", uid: 100001, shell: "/usr/bin/zsh")]),
                                  local: LocalAccounts(shells: ["/bin/sh"]), homePrefixes: ["/home"])
        #expect(plan.users.isEmpty)
        #expect(plan.skipped.first?.reason.contains("both missing from /etc/shells") == true)
    }

    @Test func missingLocalFilesAreAnError() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        try FileManager.default.removeItem(atPath: root + "/etc/shells")
        await #expect(throws: SyncError.self) {
            try await Fixture.syncBody(Fixture.body(users: Fixture.users(1)), root: root)
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/var/lib/extrausers/passwd"))
    }
}
