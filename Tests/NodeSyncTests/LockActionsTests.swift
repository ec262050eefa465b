// Closing the loop on a lock: after the sync that locks or removes a user, that user's processes
// on the node end (real processes under the user's uid, made with setpriv) and the operator's hook
// runs with the name and uid — once per lock, even when the run dies right after the commit.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite("Lock actions: --terminate-sessions and --on-lock-exec", .serialized)
struct LockActionsTests {
    static let ada = UInt32(1_000_091)
    static let bob = UInt32(1_000_092)
    static let cleo = UInt32(1_000_093)

    @Test("closing accounts: active before, locked or gone now; already locked or still active ones are not")
    func closing() {
        let current = CurrentAccounts(names: ["ada", "bob", "cleo", "dan"], accounts: [
            "ada": .init(uid: 1, gid: 1), "bob": .init(uid: 2, gid: 2), "cleo": .init(uid: 3, gid: 3),
            "dan": .init(uid: 4, gid: 4, locked: true),
        ])
        let plan = NodePlan(users: [
            NodeUser(name: "ada", uid: 1, gid: 1, gecos: "", home: "/home/ada", shell: "/usr/sbin/nologin", keys: [], locked: true),
            NodeUser(name: "cleo", uid: 3, gid: 3, gecos: "", home: "/home/cleo", shell: "/bin/bash", keys: [], locked: false),
            NodeUser(name: "dan", uid: 4, gid: 4, gecos: "", home: "/home/dan", shell: "/usr/sbin/nologin", keys: [], locked: true),
        ], groups: [], skipped: [], shellFallbacks: 0, removedByPolicy: 0)
        #expect(LockActions.closing(current: current, plan: plan) == [
            ClosingAccount(name: "ada", uid: 1, change: .locked), ClosingAccount(name: "bob", uid: 2, change: .removed),
        ])
    }

    /// A process running `sleep` as `uid` (what a login session or a job leaves behind), with the
    /// default SIGTERM handling a login shell has (the test runner's own handling is not inherited).
    static func sleeper(uid: UInt32) async throws -> ChildProcess {
        try await ChildProcess.start("/usr/bin/env", ["--default-signal=TERM", "/usr/bin/setpriv", "--reuid=\(uid)",
                                                      "--regid=\(uid)", "--clear-groups", "/bin/sleep", "300"])
    }

    /// Waits up to `seconds` for `p` to end; true when it did.
    /// Whether the process has died within `seconds`: gone from /proc or a zombie (signalled, not
    /// yet reaped: on a loaded machine the test's own reaper may lag behind the node's signal).
    /// The signal that ended `p`: from its reaped status, or — while the test's reaper lags on a
    /// loaded machine — from the zombie's own wait status in /proc/PID/stat (field 52, `exit_code`).
    static func endingSignal(_ p: ChildProcess) async -> Int32? {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let termination = await p.wait(seconds: 0.05) {
                if case .signaled(let signal) = termination { return signal }
                return nil
            }
            let stat = (try? String(contentsOfFile: "/proc/\(p.pid)/stat", encoding: .utf8)) ?? ""
            // Fields after the command (in parentheses, which may hold spaces): field 3 is the state.
            if let close = stat.lastIndex(of: ")") {
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.first == "Z", fields.count >= 50, let status = Int32(fields[49].trimmingCharacters(in: .whitespacesAndNewlines)),
                   status & 0x7f != 0 {
                    return status & 0x7f
                }
            }
        }
        return nil
    }

    static func ended(_ p: ChildProcess, within seconds: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let status = (try? String(contentsOfFile: "/proc/\(p.pid)/status", encoding: .utf8)) ?? ""
            if !p.isRunning || status.isEmpty || status.contains("State:\tZ") || status.contains("State:\tX") { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    static func body(adaActive: Bool, withBob: Bool, serial: Int64) -> SnapshotBody {
        var users = [Fixture.user("ada", uid: ada, active: adaActive), Fixture.user("cleo", uid: cleo)]
        if withBob { users.append(Fixture.user("bob", uid: bob)) }
        return Fixture.body(users: users, serial: serial)
    }

    static func sync(_ root: String, _ body: SnapshotBody, hook: String,
                     failurePoint: (@Sendable (String) throws(SyncError) -> Void)? = nil) async throws -> SyncReport {
        let path = try Fixture.writeSnapshot(SnapshotDocument.make(body: body).encoded(), root: root)
        let actions = LockActionOptions(terminateSessions: true, onLockExec: [hook, "--from-test"], execTimeout: 10, grace: 2)
        return try await NodeSyncer(source: FileSnapshotSource(path: path),
                                    options: SyncOptions(root: root, failurePoint: failurePoint, lockActions: actions)).run()
    }

    /// A hook script below `root` that appends its arguments to a log and exits with `exitCode`;
    /// returns (script, log).
    static func hook(in root: String, exitCode: Int = 0) throws -> (String, String) {
        let hook = root + "/in/hook.sh"
        let log = root + "/in/hook.log"
        try FileManager.default.createDirectory(atPath: root + "/in", withIntermediateDirectories: true)
        try "#!/bin/sh\necho \"$*\" >> \(log)\nexit \(exitCode)\n".write(toFile: hook, atomically: false, encoding: .utf8)
        chmod(hook, 0o755)
        return (hook, log)
    }

    @Test("a lock ends the user's processes and runs the hook once; others keep running; a removal does the same")
    func lockAndRemoval() async throws {
        try #require(geteuid() == 0, "needs root: processes under other uids, signals to them")
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let (hook, hookLog) = try Self.hook(in: root)

        _ = try await Self.sync(root, Self.body(adaActive: true, withBob: true, serial: 1), hook: hook)
        let adaProcess = try await Self.sleeper(uid: Self.ada)
        let bobProcess = try await Self.sleeper(uid: Self.bob)
        let cleoProcess = try await Self.sleeper(uid: Self.cleo)
        defer { for p in [adaProcess, bobProcess, cleoProcess] where p.isRunning { p.signal(SIGKILL) } }
        usleep(200_000)   // setpriv has switched uid and exec'd sleep

        let locked = try await Self.sync(root, Self.body(adaActive: false, withBob: true, serial: 2), hook: hook)
        #expect(await Self.ended(adaProcess, within: 5), "ada's process still runs after the lock")
        #expect(await Self.endingSignal(adaProcess) == SIGTERM, "ended by the SIGTERM, not the SIGKILL")
        #expect(bobProcess.isRunning && cleoProcess.isRunning, "only the locked user's processes end")
        #expect(locked.lockActions.map(\.name) == ["ada"])
        #expect(locked.lockActions.first?.sessions?.contains("SIGTERM to 1 process(es)") == true, "\(locked.lockActions)")
        #expect(locked.lockActions.first?.exec == "exit 0", "\(locked.lockActions)")
        #expect(Fixture.read(hookLog) == "--from-test ada \(Self.ada)\n")
        #expect(Fixture.read(root + "/var/lib/extrausers/shadow").contains("ada:!*:"), "the lock is committed first")

        // The same snapshot again: nothing is closed twice.
        let again = try await Self.sync(root, Self.body(adaActive: false, withBob: true, serial: 2), hook: hook)
        #expect(again.lockActions.isEmpty)
        #expect(Fixture.read(hookLog) == "--from-test ada \(Self.ada)\n")

        // bob is removed from the IdP: his process ends too.
        let removed = try await Self.sync(root, Self.body(adaActive: false, withBob: false, serial: 3), hook: hook)
        #expect(await Self.ended(bobProcess, within: 5), "bob's process still runs after the removal")
        #expect(removed.lockActions.map { "\($0.change.rawValue) \($0.name)" } == ["removed bob"])
        #expect(Fixture.read(hookLog) == "--from-test ada \(Self.ada)\n--from-test bob \(Self.bob)\n")
        #expect(cleoProcess.isRunning)

        let status = StatusReport(state: try SyncState.load(NodePaths(root: root)), now: Date(), maxAge: 3600).text
        #expect(status.contains("lock actions (latest 2):"), "\(status)")
        #expect(status.contains("locked ada (uid \(Self.ada)), generation 2; sessions: SIGTERM to 1 process(es); on-lock-exec: exit 0"), "\(status)")
    }

    @Test("a run that dies right after committing the lock: the next run (nothing new to write) does the actions, once")
    func crashAfterCommit() async throws {
        try #require(geteuid() == 0, "needs root: processes under other uids, signals to them")
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let (hook, hookLog) = try Self.hook(in: root, exitCode: 3)
        _ = try await Self.sync(root, Self.body(adaActive: true, withBob: false, serial: 1), hook: hook)
        let adaProcess = try await Self.sleeper(uid: Self.ada)
        defer { if adaProcess.isRunning { adaProcess.signal(SIGKILL) } }
        usleep(200_000)

        await #expect(throws: SyncError.self) {
            try await Self.sync(root, Self.body(adaActive: false, withBob: false, serial: 2), hook: hook,
                                failurePoint: { label throws(SyncError) in
                                    if label == "lock actions" { throw .localFile(path: label, reason: "killed (test)") }
                                })
        }
        #expect(Fixture.read(root + "/var/lib/extrausers/shadow").contains("ada:!*:"), "the lock was committed")
        #expect(adaProcess.isRunning, "the run died before its actions")
        #expect(!FileManager.default.fileExists(atPath: hookLog))

        let next = try await Self.sync(root, Self.body(adaActive: false, withBob: false, serial: 2), hook: hook)
        #expect(next.result == .unchanged)
        #expect(await Self.ended(adaProcess, within: 5))
        #expect(next.lockActions.first?.exec == "exit 3", "a failing hook is recorded as such: \(next.lockActions)")
        let last = try await Self.sync(root, Self.body(adaActive: false, withBob: false, serial: 2), hook: hook)
        #expect(last.lockActions.isEmpty)
        #expect(Fixture.read(hookLog) == "--from-test ada \(Self.ada)\n")
    }
}
