// Every refused sync leaves every node file exactly as it was and says why in the state file.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing

@Suite("Sync guards")
struct SyncGuardTests {
    /// A root that already went through one good sync of `users` (cache format, so indexes are covered too).
    static func populatedRoot(users: Int = 20, format: NSSFormat = .cache) async throws -> String {
        let root = try Fixture.makeRoot()
        _ = try await Fixture.syncBody(Fixture.body(users: Fixture.users(users)), root: root, format: format)
        return root
    }

    /// Runs a sync that must fail, checks every node file is untouched and status explains `needle`.
    static func expectRefused(root: String, snapshot: Data?, path: String? = nil, format: NSSFormat = .cache,
                              maxDeletePercent: Int = 10, needle: String) async throws {
        let before = NodeFiles(root: root)
        #expect(before.entries.keys.contains("etc/passwd.cache.ixuid"))
        let file = try path ?? Fixture.writeSnapshot(snapshot ?? Data(), root: root)
        do {
            _ = try await Fixture.sync(root, snapshot: file, format: format, maxDeletePercent: maxDeletePercent)
            Issue.record("sync accepted a snapshot that should be refused (\(needle))")
        } catch {
            #expect(error.description.contains(needle), "\(error)")
            #expect(error.exitCode == 1)
        }
        let after = NodeFiles(root: root)
        #expect(after == before, "node files changed: before \(before) after \(after)")
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.lastResult == .failed)
        #expect(state.lastError?.contains(needle) == true, "\(state.lastError ?? "nil")")
        #expect(state.serial == 1, "last good serial kept")
        let status = StatusReport(state: state, now: Date(), maxAge: 3600)
        #expect(status.verdict == .failing)
        #expect(status.verdict.exitCode == 1)
        #expect(status.text.contains("last error: "))
    }

    @Test func digestMismatch() async throws {
        let root = try await Self.populatedRoot()
        defer { Fixture.remove(root) }
        let good = SnapshotDocument.make(body: Fixture.body(users: Fixture.users(20), serial: 2)).encoded()
        let bad = String(decoding: good, as: UTF8.self).replacingOccurrences(of: "User u001", with: "User u00X")
        try await Self.expectRefused(root: root, snapshot: Data(bad.utf8), needle: "digest mismatch")
    }

    @Test func truncatedBody() async throws {
        let root = try await Self.populatedRoot()
        defer { Fixture.remove(root) }
        let good = SnapshotDocument.make(body: Fixture.body(users: Fixture.users(20), serial: 2)).encoded()
        try await Self.expectRefused(root: root, snapshot: good.prefix(good.count / 2), needle: "truncated")
    }

    @Test(arguments: [
        ("root", Fixture.user("root", uid: 100900)),
        ("uid 0", Fixture.user("evil", uid: 0, gid: 100900)),
        ("home /etc", Fixture.user("evil", uid: 100900, home: "/etc")),
        ("command=", Fixture.user("evil", uid: 100900, keys: ["command=\"sh\" " + Fixture.key(3)])),
    ])
    func maliciousEntryRefusesWholeSnapshot(_ label: String, _ bad: SnapshotUser) async throws {
        let root = try await Self.populatedRoot()
        defer { Fixture.remove(root) }
        let doc = SnapshotDocument.make(body: Fixture.body(users: Fixture.users(20) + [bad], serial: 2))
        try await Self.expectRefused(root: root, snapshot: doc.encoded(), needle: "snapshot refused: user")
    }

    @Test func emptySnapshotAfterPopulated() async throws {
        let root = try await Self.populatedRoot()
        defer { Fixture.remove(root) }
        let doc = SnapshotDocument.make(body: Fixture.body(users: [], serial: 2))
        try await Self.expectRefused(root: root, snapshot: doc.encoded(), needle: "empty snapshot")
    }

    @Test func tooManyRemovals() async throws {
        let root = try await Self.populatedRoot(users: 100)
        defer { Fixture.remove(root) }
        // 100 current users: 10 % allows 10 removals; 11 is refused.
        let doc = SnapshotDocument.make(body: Fixture.body(users: Array(Fixture.users(100).dropLast(11)), serial: 2))
        try await Self.expectRefused(root: root, snapshot: doc.encoded(), needle: "refusing to remove 11 of 100")
        // 10 is allowed.
        let ok = SnapshotDocument.make(body: Fixture.body(users: Array(Fixture.users(100).dropLast(10)), serial: 3))
        let report = try await Fixture.sync(root, snapshot: try Fixture.writeSnapshot(ok.encoded(), root: root), format: .cache)
        #expect(report.plan.users.count == 90)
    }

    @Test func removalFloorOfFive() async throws {
        let root = try await Self.populatedRoot(users: 20)
        defer { Fixture.remove(root) }
        // 10 % of 20 is 2, but 5 are always allowed; 6 are not.
        let six = SnapshotDocument.make(body: Fixture.body(users: Array(Fixture.users(20).dropLast(6)), serial: 2))
        try await Self.expectRefused(root: root, snapshot: six.encoded(), needle: "limit 5")
        let five = SnapshotDocument.make(body: Fixture.body(users: Array(Fixture.users(20).dropLast(5)), serial: 3))
        _ = try await Fixture.sync(root, snapshot: try Fixture.writeSnapshot(five.encoded(), root: root), format: .cache)
    }

    @Test func fetchFailure() async throws {
        let root = try await Self.populatedRoot()
        defer { Fixture.remove(root) }
        try await Self.expectRefused(root: root, snapshot: nil, path: root + "/in/does-not-exist.json",
                                     needle: "cannot fetch snapshot")
    }

    @Test func httpFailureOnClosedPort() async throws {
        let root = try await Self.populatedRoot()
        defer { Fixture.remove(root) }
        let token = root + "/in/token"
        try "secret\n".write(toFile: token, atomically: false, encoding: .utf8)
        chmod(token, 0o600)
        let before = NodeFiles(root: root)
        let source = try HTTPSnapshotSource(url: "http://127.0.0.1:9/scim/default/export/v1/snapshot", tokenFile: token)
        await #expect(throws: SyncError.self) {
            try await NodeSyncer(source: source, options: SyncOptions(
                root: root, format: .cache, trust: try SignedSnapshotTests.trust(SignedSnapshotTests.Signer().trustLine))).run()
        }
        // Without trust keys a network source is refused before anything is fetched.
        do {
            _ = try await NodeSyncer(source: source, options: SyncOptions(root: root, format: .cache)).run()
            Issue.record("an HTTP source ran without trust keys")
        } catch {
            #expect(error.description.contains("--trust-key"))
        }
        #expect(NodeFiles(root: root) == before)
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.lastError?.contains("cannot fetch snapshot from http://127.0.0.1:9") == true)
    }

    @Test func dryRunWritesNothingAndPrintsDiff() async throws {
        let root = try await Self.populatedRoot(users: 3, format: .extrausers)
        defer { Fixture.remove(root) }
        let before = NodeFiles(root: root)
        let stateBefore = Fixture.read(root + "/var/lib/sunk-bridge/state.json")
        var users = Fixture.users(3)
        users.removeLast()
        users[0].gecos = "Renamed"
        users.append(Fixture.user("newbie", uid: 100100))
        let report = try await Fixture.syncBody(Fixture.body(users: users, serial: 2), root: root, dryRun: true)
        #expect(report.result == .dryRun)
        #expect(report.writtenFiles.isEmpty)
        #expect(report.diff.contains("-u001:x:100001:100001:User u001:/home/u001:/bin/bash\n+u001:x:100001:100001:Renamed:"))
        #expect(report.diff.contains("\n-u003:x:100003:"))
        #expect(report.diff.contains("\n+newbie:x:100100:"))
        #expect(report.diff.contains("+++ ") && report.diff.contains("/var/lib/extrausers/group (snapshot)"))
        #expect(NodeFiles(root: root) == before)
        #expect(Fixture.read(root + "/var/lib/sunk-bridge/state.json") == stateBefore)
    }

    @Test func dryRunReportsRefusal() async throws {
        let root = try await Self.populatedRoot(users: 3, format: .extrausers)
        defer { Fixture.remove(root) }
        let report = try await Fixture.syncBody(Fixture.body(users: [], serial: 2), root: root, dryRun: true)
        #expect(report.refusal == .emptySnapshot(currentUsers: 3))
    }

    @Test func lockContention() async throws {
        let root = try await Self.populatedRoot(users: 3)
        defer { Fixture.remove(root) }
        let before = NodeFiles(root: root)
        let held = try SyncLock(path: root + "/var/lib/sunk-bridge/sync.lock")
        let path = try Fixture.writeSnapshot(
            SnapshotDocument.make(body: Fixture.body(users: Fixture.users(4), serial: 2)).encoded(), root: root)
        do {
            _ = try await Fixture.sync(root, snapshot: path, format: .cache)
            Issue.record("second sync ran while the lock was held")
        } catch {
            #expect(error == .locked(path: root + "/var/lib/sunk-bridge/sync.lock"))
            #expect(error.exitCode == 75)
            #expect(error.description.contains("another sunk-bridge sync is running"))
        }
        #expect(NodeFiles(root: root) == before)
        held.release()
        let report = try await Fixture.sync(root, snapshot: path, format: .cache)
        #expect(report.result == .applied)
    }
}
