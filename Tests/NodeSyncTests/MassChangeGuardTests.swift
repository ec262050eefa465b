// Issue 10 on the node: every kind of mass change is held like removals are (node files untouched,
// exit 1, `status` names it) until `sync --accept-changes`.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport

@Suite("Sync guards: mass changes", .serialized)
struct MassChangeGuardTests {
    static func sync(_ root: String, _ body: SnapshotBody, accept: Bool = false) async throws(SyncError) -> SyncReport {
        let path: String
        do {
            path = try Fixture.writeSnapshot(SnapshotDocument.make(body: body).encoded(), root: root)
        } catch {
            throw .usage("\(error)")
        }
        return try await NodeSyncer(source: FileSnapshotSource(path: path),
                                    options: SyncOptions(root: root, format: .cache, acceptChanges: accept)).run()
    }

    /// A held sync: files untouched, exit 1, the state's `held` and `status` name it.
    static func expectHeld(_ root: String, _ body: SnapshotBody, _ needle: String) async throws {
        let before = NodeFiles(root: root)
        let serialBefore = try SyncState.load(NodePaths(root: root))?.serial
        do {
            _ = try await Self.sync(root, body)
            Issue.record("sync applied a mass change that should be held (\(needle))")
        } catch {
            #expect(error.description.contains("holding mass changes: "), "\(error)")
            #expect(error.description.contains(needle), "\(error)")
            #expect(error.description.contains("sunk-bridge sync --accept-changes"))
            #expect(error.exitCode == 1)
        }
        #expect(NodeFiles(root: root) == before, "node files changed")
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.lastResult == .failed)
        #expect(state.serial == serialBefore, "last good serial kept")
        #expect(state.held?.contains { $0.contains(needle) } == true, "\(state.held ?? [])")
        let status = StatusReport(state: state, now: Date(), maxAge: 3600)
        #expect(status.verdict == .failing)
        #expect(status.text.contains("held (node files unchanged; `sunk-bridge sync --accept-changes` applies them once):"),
                "\(status.text)")
        #expect(status.text.contains("\n  " + (state.held?.first ?? "?")), "\(status.text)")
    }

    @Test("swapping two users' uids is held; --accept-changes applies it once; the next change is held again")
    func uidSwap() async throws {
        let root = try await SyncGuardTests.populatedRoot(users: 20)
        defer { Fixture.remove(root) }
        var users = Fixture.users(20)
        (users[0].uid, users[1].uid) = (users[1].uid, users[0].uid)
        let swapped = Fixture.body(users: users, serial: 2)
        try await Self.expectHeld(root, swapped, "uid/gid change for 2 existing users: u001 (uid 100001→100002), u002 (uid 100002→100001)")

        let accepted = try await Self.sync(root, swapped, accept: true)
        #expect(accepted.result == .applied)
        #expect(Fixture.read(root + "/etc/passwd.cache").contains("u001:x:100002:100001:"))
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.held == [] && state.lastError == nil && state.serial == 2)
        #expect(!StatusReport(state: state, now: Date(), maxAge: 3600).text.contains("held"))
        // Once: the same snapshot again is no change at all; a new id change is held again.
        let again = try await Self.sync(root, Fixture.body(users: users, serial: 3))
        #expect(again.result == .applied || again.result == .unchanged)
        users[2].gid = 2_000_500
        let before = NodeFiles(root: root)
        do {
            _ = try await Self.sync(root, Fixture.body(users: users, serial: 4))
            Issue.record("a gid change after --accept-changes was applied without the flag")
        } catch {
            #expect(error.description.contains("u003 (gid 100003→2000500)"), "\(error)")
            #expect(error.exitCode == 1)
        }
        #expect(NodeFiles(root: root) == before)
    }

    @Test("a primary-gid change for one existing name is held")
    func gidChange() async throws {
        let root = try await SyncGuardTests.populatedRoot(users: 20)
        defer { Fixture.remove(root) }
        var users = Fixture.users(20)
        users[4].gid = 2_000_001
        try await Self.expectHeld(root, Fixture.body(users: users, serial: 2),
                                  "uid/gid change for 1 existing user: u005 (gid 100005→2000001)")
    }

    @Test("locking more users than --max-delete-percent allows is held; up to the limit is applied")
    func massLock() async throws {
        let root = try await SyncGuardTests.populatedRoot(users: 20)
        defer { Fixture.remove(root) }
        var users = Fixture.users(20)
        for i in 0..<6 { users[i].active = false; users[i].keys = [] }
        try await Self.expectHeld(root, Fixture.body(users: users, serial: 2), "locking 6 of 20 users (limit 5")
        users[5].active = true
        users[5].keys = Fixture.users(20)[5].keys
        let five = try await Self.sync(root, Fixture.body(users: users, serial: 3))
        #expect(five.plan.lockedUsers == 5)
        #expect(Fixture.read(root + "/etc/shadow.cache").contains("u001:!*::::::1:\n"))
        // Those five are already locked: locking one more is one lock, applied.
        users[5].active = false
        users[5].keys = []
        let six = try await Self.sync(root, Fixture.body(users: users, serial: 4))
        #expect(six.plan.lockedUsers == 6)
    }

    @Test("replacing the keys of more users than the limit is held; adding keys is not a replacement")
    func massKeyReplacement() async throws {
        let root = try await SyncGuardTests.populatedRoot(users: 20)
        defer { Fixture.remove(root) }
        var replaced = Fixture.users(20)
        for i in 0..<6 { replaced[i].keys = [Fixture.key(UInt8(200 + i), comment: "attacker")] }
        try await Self.expectHeld(root, Fixture.body(users: replaced, serial: 2),
                                  "replacing the keys of 6 of 20 users (limit 5")
        // Every user gets one more key, keeping the old ones: not a replacement.
        var added = Fixture.users(20)
        for i in added.indices { added[i].keys.append(Fixture.key(UInt8(100 + i), comment: "second")) }
        let report = try await Self.sync(root, Fixture.body(users: added, serial: 3))
        #expect(report.result == .applied)
        // Five replacements are within the limit.
        var five = added
        for i in 0..<5 { five[i].keys = [Fixture.key(UInt8(220 + i), comment: "new")] }
        _ = try await Self.sync(root, Fixture.body(users: five, serial: 4))
        #expect(Fixture.read(root + "/var/lib/sunk-bridge/keys.cache").contains(Fixture.key(220, comment: "new")))
        // And --accept-changes lets a held replacement through.
        var six = five
        for i in 5..<11 { six[i].keys = [Fixture.key(UInt8(230 + i), comment: "rotated")] }
        try await Self.expectHeld(root, Fixture.body(users: six, serial: 5), "replacing the keys of 6 of 20 users")
        let accepted = try await Self.sync(root, Fixture.body(users: six, serial: 5), accept: true)
        #expect(accepted.result == .applied)
    }

    @Test("the sync CLI: held exits 1 and status names it; --accept-changes applies it")
    func cli() async throws {
        let bridge = try Binaries.sunkBridge()
        let root = try await SyncGuardTests.populatedRoot(users: 20)
        defer { Fixture.remove(root) }
        var users = Fixture.users(20)
        (users[0].uid, users[1].uid) = (users[1].uid, users[0].uid)
        let path = try Fixture.writeSnapshot(SnapshotDocument.make(body: Fixture.body(users: users, serial: 2)).encoded(),
                                             root: root)
        let args = ["sync", "--snapshot", path, "--root", root, "--nss-format", "cache"]
        let held = try await run(bridge, args, error: .separate)
        #expect(held.status == 1, "\(held.output)\(held.error)")
        #expect(held.error.contains("holding mass changes: uid/gid change for 2 existing users"), "\(held.error)")
        let status = try await run(bridge, ["status", "--root", root], error: .separate)
        #expect(status.status == 1)
        #expect(status.output.contains("held (node files unchanged"), "\(status.output)")
        #expect(status.output.contains("  uid/gid change for 2 existing users: u001 (uid 100001→100002)"), "\(status.output)")
        let accepted = try await run(bridge, args + ["--accept-changes"], error: .separate)
        #expect(accepted.status == 0, "\(accepted.output)\(accepted.error)")
        let after = try await run(bridge, ["status", "--root", root], error: .separate)
        #expect(after.status == 0, "\(after.output)")
        #expect(!after.output.contains("held"), "\(after.output)")
    }
}
