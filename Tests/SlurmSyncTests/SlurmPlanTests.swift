// The planner and the sacctmgr parser, against outputs captured from the real Slurm 22.05
// (Debian 12's slurmdbd on MariaDB; see Tests/e2e/slurm/run.sh), and a scripted executor.
import Foundation
import SlurmSync
import SunkModel
import SunkSnapshot
import Testing

/// Outputs of `sacctmgr -n -P show …` (SlurmState.queries) captured from the real slurmdbd.
enum Captured {
    static let accounts = """
        handmade|by hand|ops
        physics|sunk-bridge: managed|sunk-bridge
        root|default root account|root

        """
    static let associations = """
        sunk|root|||
        sunk|root|root||
        sunk|handmade|||
        sunk|handmade|eve||
        sunk|physics|||
        sunk|physics|ada||
        sunk|physics|bob||
        sunk|physics|cy||0

        """
    static let users = """
        ada|physics
        bob|physics
        cy|physics
        eve|handmade
        root|root

        """
}

func user(_ name: String, uid: UInt32, active: Bool = true) -> SnapshotUser {
    SnapshotUser(id: "id-\(name)", userName: "\(name)@example.com", name: name, uid: uid, gid: uid, gecos: "",
                 home: "/home/\(name)", shell: "/bin/bash", keys: [], active: active)
}

func body(users: [SnapshotUser], groups: [(String, [String])]) -> SnapshotBody {
    SnapshotBody(org: "default", serial: 7, publishedAt: Date(timeIntervalSince1970: 1_800_000_000), policy: .default,
                 users: users, groups: groups.enumerated().map { i, g in
                     SnapshotGroup(id: "g\(i)", displayName: g.0, name: g.0, gid: UInt32(2_000_000 + i), members: g.1)
                 }, skipped: [])
}

/// Replies to the three queries with fixed text and records every other command.
final class ScriptedExecutor: SlurmExecutor, @unchecked Sendable {
    var state: (String, String, String)
    var ran: [[String]] = []
    /// Commands containing this argument fail with exit 1 (as sacctmgr does for an association with running jobs).
    var failOn: String?
    init(_ state: (String, String, String), failOn: String? = nil) { self.state = state; self.failOn = failOn }
    func run(_ program: String, _ arguments: [String]) throws(SlurmSyncError) -> (status: Int32, stdout: String, stderr: String) {
        if arguments.starts(with: ["-n", "-P", "show", "account"]) { return (0, state.0, "") }
        if arguments.starts(with: ["-n", "-P", "show", "association"]) { return (0, state.1, "") }
        if arguments.starts(with: ["-n", "-P", "show", "user"]) { return (0, state.2, "") }
        ran.append([program] + arguments)
        if let failOn, arguments.contains(failOn) { return (1, "", " Job(s) active, cancel job(s) before remove\n") }
        return (0, "", "")
    }
}

final class LogBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

@Suite("slurm sync: sacctmgr parser, planner, guard")
struct SlurmPlanTests {
    let rules = SlurmAccountRules(groupPrefix: "slurm-", maps: ["hpc-research-eu": "research"])

    @Test("parses the real sacctmgr -n -P outputs; account-level associations are left out")
    func parse() throws {
        let s = try SlurmState.parse(accounts: Captured.accounts, associations: Captured.associations, users: Captured.users)
        #expect(s.accounts.count == 3)
        #expect(s.accounts["physics"]?.isManaged == true)
        #expect(s.accounts["handmade"]?.isManaged == false)
        #expect(s.associations.map(\.user) == ["root", "eve", "ada", "bob", "cy"])
        #expect(s.associations.first { $0.user == "cy" }?.isBlocked == true)
        #expect(s.associations.first { $0.user == "ada" }?.maxSubmitJobs == nil)
        #expect(s.defaultAccounts["eve"] == "handmade")
        #expect(throws: SlurmSyncError.self) {
            try SlurmState.parse(accounts: "physics|only two", associations: "", users: "")
        }
        #expect(throws: SlurmSyncError.self) {
            try SlurmState.parse(accounts: "", associations: "sunk|physics|ada||lots", users: "")
        }
    }

    @Test("from nothing: accounts first (marked), then associations with default accounts")
    func fromNothing() throws {
        let state = try SlurmState.parse(accounts: "root|default root account|root\n", associations: "sunk|root|||\nsunk|root|root||\n",
                                         users: "root|root\n")
        let b = body(users: [user("ada", uid: 1_000_001), user("bob", uid: 1_000_002)],
                     groups: [("slurm-physics", ["ada", "bob"]), ("hpc-research-eu", ["ada"]), ("staff-x", ["bob"])])
        let plan = SlurmPlanner.plan(body: b, state: state, rules: rules)
        #expect(plan.commands.map(\.display) == [
            "sacctmgr -i add account physics Parent=root 'Description=sunk-bridge: managed' Organization=sunk-bridge",
            "sacctmgr -i add account research Parent=root 'Description=sunk-bridge: managed' Organization=sunk-bridge",
            "sacctmgr -i add user ada Account=physics DefaultAccount=physics",
            "sacctmgr -i add user ada Account=research",
            "sacctmgr -i add user bob Account=physics DefaultAccount=physics",
        ])
        #expect(plan.commands[0].argv == ["-i", "add", "account", "physics", "Parent=root",
                                          "Description=sunk-bridge: managed", "Organization=sunk-bridge"])
        #expect(plan.removals == 0)
    }

    @Test("the real state: left group removed, locked user blocked, blocked user stays blocked, hand-made untouched")
    func diff() throws {
        let state = try SlurmState.parse(accounts: Captured.accounts, associations: Captured.associations, users: Captured.users)
        // bob left slurm-physics; cy is locked (already blocked); dan joins; eve is in handmade only.
        let b = body(users: [user("ada", uid: 1), user("bob", uid: 2), user("cy", uid: 3, active: false), user("dan", uid: 4),
                             user("eve", uid: 5)],
                     groups: [("slurm-physics", ["ada", "cy", "dan"]), ("slurm-handmade", ["ada"])])
        let plan = SlurmPlanner.plan(body: b, state: state, rules: rules)
        #expect(plan.commands.map(\.display) == [
            "sacctmgr -i add user dan Account=physics DefaultAccount=physics",
            "sacctmgr -i delete user where name=bob account=physics",
        ])
        #expect(plan.notes.contains { $0.hasPrefix("account handmade exists and was not created by sunk-bridge") })
        #expect(!plan.commands.contains { $0.arguments.contains { $0.contains("handmade") || $0.contains("eve") } })
        #expect(plan.managedAssociations == 3)
        #expect(plan.removals == 1)
    }

    @Test("block, cancel, unblock, delete")
    func removal() throws {
        let state = try SlurmState.parse(accounts: Captured.accounts, associations: Captured.associations, users: Captured.users)
        let b = body(users: [user("ada", uid: 1, active: false), user("cy", uid: 3)], groups: [("slurm-physics", ["ada", "cy"])])
        var r = rules
        r.cancelJobs = true
        let plan = SlurmPlanner.plan(body: b, state: state, rules: r)
        #expect(plan.commands.map(\.display) == [
            "sacctmgr -i modify user where name=cy account=physics set MaxSubmitJobs=-1",
            "sacctmgr -i modify user where name=ada account=physics set MaxSubmitJobs=0",
            "scancel --user=ada --account=physics",
            "sacctmgr -i modify user where name=bob account=physics set MaxSubmitJobs=0",
            "scancel --user=bob --account=physics",
        ])
        r.cancelJobs = false
        r.onRemove = .delete
        let deleting = SlurmPlanner.plan(body: b, state: state, rules: r)
        #expect(deleting.commands.map(\.display).suffix(2) == [
            "sacctmgr -i delete user where name=ada account=physics",
            "sacctmgr -i delete user where name=bob account=physics",
        ])
    }

    @Test("a second run over the state the first produced plans nothing")
    func idempotent() throws {
        let state = try SlurmState.parse(accounts: Captured.accounts, associations: Captured.associations, users: Captured.users)
        let b = body(users: [user("ada", uid: 1), user("bob", uid: 2), user("cy", uid: 3, active: false)],
                     groups: [("slurm-physics", ["ada", "bob"])])
        let plan = SlurmPlanner.plan(body: b, state: state, rules: rules)
        #expect(plan.commands.isEmpty, "\(plan.commands.map(\.display))")
    }

    @Test("derived account names are validated; nothing unvalidated reaches an argument")
    func names() throws {
        let state = SlurmState()
        let b = body(users: [user("ada", uid: 1)], groups: [("slurm-root", ["ada"]), ("slurm-ok_1", ["ada"])])
        let plan = SlurmPlanner.plan(body: b, state: state, rules: SlurmAccountRules(groupPrefix: "slurm-", maps: ["x": "Bad Name"]))
        #expect(plan.notes.contains { $0.contains("slurm-root") && $0.contains("root account") })
        #expect(plan.commands.allSatisfy { !$0.arguments.contains("root") })
        #expect(SlurmNames.accountProblem("a,b") != nil)
        #expect(SlurmNames.accountProblem("a=b") != nil)
        #expect(SlurmNames.accountProblem("Physics") != nil)
        #expect(SlurmNames.accountProblem("-x") != nil)
        #expect(SlurmNames.accountProblem(String(repeating: "a", count: 65)) != nil)
        #expect(SlurmNames.accountProblem("physics-2") == nil)
        #expect(throws: SlurmSyncError.self) { try SlurmAccountRules(maps: ["x": "Bad Name"]).validate() }
        #expect(throws: SlurmSyncError.self) { try SlurmAccountRules().validate() }
        #expect(throws: SlurmSyncError.self) { try SlurmAccountRules(groupPrefix: "slurm-", parent: "a b").validate() }
    }

    @Test("the guard: more removals than max(5, 10 %) and an empty snapshot are refused; dry run runs nothing")
    func guardAndDryRun() throws {
        var assoc = "sunk|root|||\n"
        var users = ""
        var people: [SnapshotUser] = []
        for i in 0..<20 {
            assoc += "sunk|physics|u\(i)||\n"
            users += "u\(i)|physics\n"
            people.append(user("u\(i)", uid: UInt32(100 + i)))
        }
        let state = (Captured.accounts, assoc, users)
        // 6 of 20 leave: max(5, 2) = 5 allowed.
        let b = body(users: people, groups: [("slurm-physics", people.dropFirst(6).map(\.name))])
        let executor = ScriptedExecutor(state)
        let syncer = SlurmSyncer(options: SlurmSyncOptions(rules: rules), executor: executor)
        let document = SnapshotDocument.make(body: b)
        #expect(throws: SlurmSyncError.tooManyRemovals(removing: 6, current: 20, allowed: 5, percent: 10)) {
            try syncer.run(document: document)
        }
        #expect(executor.ran.isEmpty)
        let dry = try SlurmSyncer(options: SlurmSyncOptions(rules: rules, dryRun: true), executor: executor).run(document: document)
        #expect(dry.refusal == .tooManyRemovals(removing: 6, current: 20, allowed: 5, percent: 10))
        #expect(dry.plan.commands.count == 6)
        #expect(executor.ran.isEmpty)
        let allowed = try SlurmSyncer(options: SlurmSyncOptions(rules: rules, maxDeletePercent: 30), executor: executor).run(document: document)
        #expect(allowed.applied.count == 6)
        #expect(executor.ran.count == 6)
        #expect(executor.ran[0] == ["/usr/bin/sacctmgr", "-i", "delete", "user", "where", "name=u0", "account=physics"])
        let empty = SnapshotDocument.make(body: body(users: [], groups: []))
        #expect(throws: SlurmSyncError.emptySnapshot(managedAssociations: 20)) {
            try SlurmSyncer(options: SlurmSyncOptions(rules: rules, maxDeletePercent: 100), executor: ScriptedExecutor(state)).run(document: empty)
        }
    }

    @Test("a failing command does not stop the others; the run reports each failure")
    func partialFailure() throws {
        let executor = ScriptedExecutor((Captured.accounts, Captured.associations, Captured.users), failOn: "name=bob")
        let b = body(users: [user("ada", uid: 1), user("bob", uid: 2), user("cy", uid: 3), user("dan", uid: 4)],
                     groups: [("slurm-physics", ["ada", "cy", "dan"])])
        let box = LogBox()
        let syncer = SlurmSyncer(options: SlurmSyncOptions(rules: rules), executor: executor, log: { box.append($0) })
        do {
            _ = try syncer.run(document: SnapshotDocument.make(body: body(users: b.users, groups: [("slurm-physics", ["ada", "cy", "dan"])])))
            Issue.record("expected a failure")
        } catch {
            guard case .failed(let failures, let applied) = error else { Issue.record("\(error)"); return }
            #expect(failures.count == 1)
            #expect(failures[0].contains("delete user where name=bob") && failures[0].contains("Job(s) active"), "\(failures)")
            #expect(applied == 2)   // dan added, cy unblocked
        }
        #expect(executor.ran.count == 3)
        #expect(box.lines.contains { $0.contains("FAILED") && $0.contains("bob") })
    }

    @Test("an IdP user whose name or uid is a local account gets no association (sync's node floor)")
    func localAccountsWin() throws {
        let state = SlurmState(accounts: ["root": SlurmAccount(name: "root", description: "", organization: "root")])
        let b = body(users: [user("ada", uid: 1_000_001), user("postgres", uid: 1_000_002), user("zed", uid: 106)],
                     groups: [("slurm-physics", ["ada", "postgres", "zed"])])
        let plan = SlurmPlanner.plan(body: b, state: state, rules: rules, localNames: ["postgres", "root"], localUIDs: [0, 106])
        #expect(plan.commands.map(\.display) == [
            "sacctmgr -i add account physics Parent=root 'Description=sunk-bridge: managed' Organization=sunk-bridge",
            "sacctmgr -i add user ada Account=physics DefaultAccount=physics",
        ])
        #expect(plan.notes.filter { $0.contains("local account of this host") }.count == 2)
    }

    @Test("several clusters without --cluster are refused")
    func clusters() throws {
        let executor = ScriptedExecutor((Captured.accounts, "a|physics|ada||\nb|physics|ada||\n", "ada|physics\n"))
        #expect(throws: SlurmSyncError.self) {
            try SlurmSyncer(options: SlurmSyncOptions(rules: rules), executor: executor).readState()
        }
    }
}
